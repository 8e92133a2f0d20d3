# bench/: the ceilings the benchmarks compare against, and the harness
# (bench/run). Built with everything else so they never rot.
noinst_PROGRAMS += bench/bare_http bench/bare_redis
bench_bare_http_SOURCES = bench/bare_http.c
bench_bare_http_LDADD = $(LIBEVENT_LIBS)
bench_bare_redis_SOURCES = bench/bare_redis.c
bench_bare_redis_LDADD = librxcore.la $(RX_LIBS)
EXTRA_DIST += bench/run bench/bench.py bench/wrk_post.lua $(BENCH_CASES) BENCHMARKS.md \
	bench/profile
BENCH_CASES = bench/case_http_form.py bench/case_smtp.py bench/case_routing.py \
	bench/case_mixed.py
# What rx_ingest writes where it was cut to fewer commands (BENCHMARKS.md).
INTEGRATION_TESTS += tests/integration/test_ingest_writes.py
