"""``python -m narrowcast``, and the script ``spark-submit`` runs: the command line."""

from narrowcast.cli import main

if __name__ == "__main__":
    main()
