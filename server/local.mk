# server/: the daemon core.
librxcore_la_SOURCES += \
	server/config.c server/config.h \
	server/eredis.c server/eredis.h \
	server/http.c server/http.h \
	server/log.c server/log.h \
	server/metrics.c server/metrics.h \
	server/modules.c server/modules.h \
	server/redis.c server/redis.h \
	server/status.c server/status.h

sbin_PROGRAMS += rxdeskd
rxdeskd_SOURCES = server/main.c
rxdeskd_LDADD = librxcore.la $(RX_LIBS)
