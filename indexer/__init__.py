"""The command-line front of NGen Connect (`ngen-connect`)."""
