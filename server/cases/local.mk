# server/cases/: the safety desk's adverse event cases (docs/safety.md):
# the case document, its clocks, sealing of patient fields, CSV, and the
# daemon module that runs them. The E2B(R3) writer is server/safety/.
librxcore_la_SOURCES += \
	server/cases/case_clock.c server/cases/case_clock.h \
	server/cases/case_crypt.c server/cases/case_crypt.h \
	server/cases/case_csv.c server/cases/case_csv.h \
	server/cases/case_doc.c server/cases/case_doc.h \
	server/cases/case_form.c server/cases/case_form.h \
	server/cases/case_protect.c server/cases/case_protect.h \
	server/cases/cases.c server/cases/cases.h

EXTRA_DIST += docs/safety.md
