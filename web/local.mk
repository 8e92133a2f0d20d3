# web/: the agent console and the public pages, installed under
# $(pkgdatadir)/web and served by server/api/static.c.
webdir = $(pkgdatadir)/web
dist_web_DATA = web/index.html web/console.js web/console.css web/favicon.svg web/safety.js \
	web/widget.js web/chat-demo.html web/chat-demo-uk.html \
	web/i18n.js web/dom.js web/dashboard.js web/thanks.html
# The public forms: work without JavaScript (docs/forms.md).
web_formsdir = $(webdir)/forms
dist_web_forms_DATA = web/forms/contact.html web/forms/medinfo.html web/forms/complaint.html \
	web/forms/ae-report.html web/forms/forms.css web/forms/forms.js web/forms/thanks.js
# UI strings, one file per language (web/i18n.js).
web_i18ndir = $(webdir)/i18n
dist_web_i18n_DATA = web/i18n/en.json web/i18n/uk.json

# The chart library (docs/console.md), pinned in web/vendor.lock and fetched
# from npm by scripts/fetch-web-vendor (scripts/bootstrap runs it; so does
# make when the files are missing or older than the lock).
WEB_UPLOT = web/vendor/uplot/uPlot.iife.min.js web/vendor/uplot/uPlot.min.css \
	web/vendor/uplot/LICENSE
web_vendor_uplotdir = $(webdir)/vendor/uplot
nodist_web_vendor_uplot_DATA = $(WEB_UPLOT)
$(WEB_UPLOT): $(top_srcdir)/web/vendor.lock
	$(AM_V_GEN)$(top_srcdir)/scripts/fetch-web-vendor
EXTRA_DIST += web/vendor.lock scripts/fetch-web-vendor
