from wfcheck.cli import main

main()
