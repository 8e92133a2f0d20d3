# etc/: the example configuration and the systemd unit.
rxconfdir = $(sysconfdir)/rxdesk
dist_rxconf_DATA = etc/rxdesk.conf
systemdsystemunit_DATA = etc/rxdeskd.service
CLEANFILES += etc/rxdeskd.service
EXTRA_DIST += etc/rxdeskd.service.in etc/rxdesk.demo.conf
etc/rxdeskd.service: etc/rxdeskd.service.in Makefile
	$(AM_V_GEN)mkdir -p etc && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' $(srcdir)/etc/rxdeskd.service.in > $@
