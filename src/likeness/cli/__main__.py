from ..__main__ import main

main()
