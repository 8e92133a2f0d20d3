# server/core/: the loop, configuration, logs, metrics, the HTTP and
# WebSocket transports, the Redis client, the embedded Redis, cross-node
# events and the ingest pipeline every channel enters through.
librxcore_la_SOURCES += \
	server/core/config.c server/core/config.h \
	server/core/eredis.c server/core/eredis.h \
	server/core/events.c server/core/events.h \
	server/core/http.c server/core/http.h \
	server/core/http_conn.c server/core/http_conn.h \
	server/core/idtab.c server/core/idtab.h \
	server/core/log.c server/core/log.h \
	server/core/metrics.c server/core/metrics.h \
	server/core/modules.c server/core/modules.h \
	server/core/redis.c server/core/redis.h \
	server/core/status.c server/core/status.h \
	server/core/ws.c server/core/ws.h \
	server/core/tls.c server/core/tls.h \
	server/core/ingest.c server/core/ingest.h \
	server/core/interaction.c server/core/interaction.h \
	server/core/queue_names.c server/core/queue_names.h

sbin_PROGRAMS += rxdeskd
rxdeskd_SOURCES = server/core/main.c
rxdeskd_LDADD = librxcore.la $(RX_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/core/test_ws
tests_unit_server_core_test_ws_SOURCES = tests/unit/server/core/test_ws.c
tests_unit_server_core_test_ws_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_core_test_ws_LDADD = $(UNIT_LDADD)
endif

# libFuzzer harness (tests/fuzz/local.mk): WebSocket framing.
FUZZ_TARGETS += tests/fuzz/fuzz_ws
tests_fuzz_fuzz_ws_SOURCES = tests/fuzz/fuzz_ws.c
tests_fuzz_fuzz_ws_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ws_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/ws.dict tests/fuzz/corpus/ws

# libFuzzer harness: the HTTP connection guard's scan of request heads.
FUZZ_TARGETS += tests/fuzz/fuzz_http_conn
tests_fuzz_fuzz_http_conn_SOURCES = tests/fuzz/fuzz_http_conn.c
tests_fuzz_fuzz_http_conn_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_http_conn_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/http_conn.dict tests/fuzz/corpus/http_conn
