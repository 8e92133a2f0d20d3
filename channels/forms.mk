# channels/forms.mk: web forms (issue 3), POST /api/v1/forms/{form}.
librxcore_la_SOURCES += \
	channels/form_check.c channels/form_check.h \
	channels/form_config.c channels/form_config.h \
	channels/form_parse.c channels/form_parse.h \
	channels/webform.c channels/webform.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/channels/test_form_parse
tests_unit_channels_test_form_parse_SOURCES = tests/unit/channels/test_form_parse.c
tests_unit_channels_test_form_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_channels_test_form_parse_LDADD = $(UNIT_LDADD)
endif

INTEGRATION_TESTS += tests/integration/test_forms.py

# libFuzzer harness (tests/fuzz/local.mk's convention).
FUZZ_TARGETS += tests/fuzz/fuzz_form_parse
tests_fuzz_fuzz_form_parse_SOURCES = tests/fuzz/fuzz_form_parse.c
tests_fuzz_fuzz_form_parse_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_form_parse_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/form_parse.dict \
	tests/fuzz/corpus/form_parse docs/forms.md
