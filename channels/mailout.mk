# channels/mailout.mk: mail out (the outbox stream, composition,
# acknowledgements, libesmtp workers). See docs/email.md, Mail out.
librxcore_la_SOURCES += \
	channels/ack.c channels/ack.h \
	channels/mail_compose.c channels/mail_compose.h \
	channels/mailout.c channels/mailout.h \
	channels/outbox.c channels/outbox.h

templatesdir = $(pkgdatadir)/templates
dist_templates_DATA = etc/templates/ack.en.txt etc/templates/ack.uk.txt \
	etc/templates/ack.ru.txt etc/templates/ack.zh.txt

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/channels/test_mail_compose
tests_unit_channels_test_mail_compose_SOURCES = tests/unit/channels/test_mail_compose.c
tests_unit_channels_test_mail_compose_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_channels_test_mail_compose_LDADD = librxcore.la $(RX_LIBS) $(CMOCKA_LIBS)
endif

MAILOUT_TESTS = tests/integration/test_mailout.py
EXTRA_DIST += $(MAILOUT_TESTS)
TESTS += $(MAILOUT_TESTS)
