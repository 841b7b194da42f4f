import sys

from composer_assist.cli.main import main

sys.exit(main())
