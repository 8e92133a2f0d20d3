# channels/: see Makefile.am.
