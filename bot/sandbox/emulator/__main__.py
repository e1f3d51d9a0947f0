"""Run the emulator standalone: ``python -m bot.sandbox.emulator --port 8081``."""

from bot.sandbox.emulator.facade import main

main()
