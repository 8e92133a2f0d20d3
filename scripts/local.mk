# scripts/: see Makefile.am.
