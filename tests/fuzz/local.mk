# tests/fuzz/: one libFuzzer harness per parser, built only with
# --enable-fuzzing and CC=clang (scripts/check builds them in build-fuzz/
# with CFLAGS=-fsanitize=fuzzer-no-link,address,undefined and runs each a
# few seconds on its seed corpus as a smoke test).
# A harness NAME is tests/fuzz/fuzz_NAME.c, with seeds in
# tests/fuzz/corpus/NAME/ and a dictionary tests/fuzz/NAME.dict; add it as
#   FUZZ_TARGETS += tests/fuzz/fuzz_NAME
#   tests_fuzz_fuzz_NAME_SOURCES = tests/fuzz/fuzz_NAME.c
#   tests_fuzz_fuzz_NAME_LDADD = $(FUZZ_LIBS)
#   tests_fuzz_fuzz_NAME_LDFLAGS = $(FUZZ_LINK)
#   EXTRA_DIST += tests/fuzz/NAME.dict tests/fuzz/corpus/NAME
# in your own fragment.
FUZZ_LIBS = librxcore.la $(RX_LIBS)
FUZZ_LINK = -fsanitize=fuzzer
if ENABLE_FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
endif
