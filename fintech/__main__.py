"""`python -m fintech`: the `fintech` command. Only as a script: importing this module must do nothing
(Panel's /components/ route imported any module a URL named, and this one ran the CLI)."""

if __name__ == "__main__":
    import sys

    from fintech.cli import main

    sys.exit(main())
