# etc/: see Makefile.am.
