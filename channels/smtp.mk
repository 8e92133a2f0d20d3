# channels/smtp*, mime*, mail_thread*: mail in over SMTP/LMTP (docs/email.md).
librxcore_la_SOURCES += \
	channels/mail_thread.c channels/mail_thread.h \
	channels/mime.c channels/mime_html.c channels/mime.h \
	channels/mime_check.c channels/mime_check.h \
	channels/mime_flowed.c \
	channels/mime_words.c channels/mime_words.h \
	channels/smtp.c channels/smtp.h \
	channels/smtp_deliver.c channels/smtp_deliver.h \
	channels/smtp_session.c channels/smtp_session.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/channels/test_smtp_session tests/unit/channels/test_mime
tests_unit_channels_test_smtp_session_SOURCES = tests/unit/channels/test_smtp_session.c
tests_unit_channels_test_smtp_session_CFLAGS = $(UNIT_CFLAGS)
tests_unit_channels_test_smtp_session_LDADD = $(UNIT_LDADD)
tests_unit_channels_test_mime_SOURCES = tests/unit/channels/test_mime.c
tests_unit_channels_test_mime_CFLAGS = $(UNIT_CFLAGS)
tests_unit_channels_test_mime_LDADD = $(UNIT_LDADD)
endif

INTEGRATION_TESTS += tests/integration/test_smtp.py tests/integration/test_mail_corpus.py
EXTRA_DIST += docs/email.md tests/data/mail tests/data/tls

# libFuzzer harnesses (tests/fuzz/local.mk): the command parser and MIME.
FUZZ_TARGETS += tests/fuzz/fuzz_smtp tests/fuzz/fuzz_mime
tests_fuzz_fuzz_smtp_SOURCES = tests/fuzz/fuzz_smtp.c
tests_fuzz_fuzz_smtp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_smtp_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz_mime.c
tests_fuzz_fuzz_mime_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_mime_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/smtp.dict tests/fuzz/corpus/smtp \
	tests/fuzz/mime.dict tests/fuzz/corpus/mime
