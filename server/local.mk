# server/: the daemon core.
librxcore_la_SOURCES += \
	server/config.c server/config.h \
	server/eredis.c server/eredis.h \
	server/http.c server/http.h \
	server/log.c server/log.h \
	server/metrics.c server/metrics.h \
	server/modules.c server/modules.h \
	server/redis.c server/redis.h \
	server/static.c server/static.h \
	server/status.c server/status.h \
	server/store.c server/store.h server/interaction.h

# The Redis function library: these files, concatenated in this order, then
# whatever later fragments append (docs/datamodel.md).
RX_LUA = server/lua/head.lua server/lua/customer.lua

sbin_PROGRAMS += rxdeskd
rxdeskd_SOURCES = server/main.c
rxdeskd_LDADD = librxcore.la $(RX_LIBS)
