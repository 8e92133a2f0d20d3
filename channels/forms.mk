# channels/forms.mk: web forms (issue 3), POST /api/v1/forms/{form}.
librxcore_la_SOURCES += \
	channels/form_check.c channels/form_check.h \
	channels/form_config.c channels/form_config.h \
	channels/form_parse.c channels/form_parse.h \
	channels/mime_form.c channels/mime_form.h \
	channels/webform.c channels/webform.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/channels/test_form_parse
tests_unit_channels_test_form_parse_SOURCES = tests/unit/channels/test_form_parse.c
tests_unit_channels_test_form_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_channels_test_form_parse_LDADD = $(UNIT_LDADD)
endif

INTEGRATION_TESTS += tests/integration/test_forms.py

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_form_parse
# The parsers are compiled into the harness so that they carry the
# fuzzer's coverage instrumentation; the rest comes from the library.
tests_fuzz_fuzz_form_parse_SOURCES = tests/fuzz/fuzz_form_parse.c \
	channels/form_check.c channels/form_config.c channels/form_parse.c \
	channels/mime_form.c
tests_fuzz_fuzz_form_parse_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_form_parse_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_form_parse_LDADD = librxcore.la $(RX_LIBS)
endif
EXTRA_DIST += tests/fuzz/fuzz_form_parse.c tests/fuzz/form_parse.dict \
	tests/fuzz/corpus/form_parse docs/forms.md
