"""`python app.py [options]` = `rag serve [options]`: the app lives in rag.app, the options in rag.cli."""

import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
