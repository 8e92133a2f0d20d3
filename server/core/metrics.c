/* metrics: see metrics.h. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "server/core/log.h"
#include "server/core/metrics.h"

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM };

struct metric {
	struct family *fam;
	char *labels;
	double value;		/* counter, gauge; sum for a histogram */
	unsigned long long count;
	unsigned long long *buckets;
	struct metric *next;	/* in the family */
};

struct family {
	char *name, *help;
	enum mtype type;
	double *bounds;
	size_t nbounds;
	struct metric *series, **tail;
	struct family *next;
};

static struct family *families, **families_tail = &families;

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (p == NULL)
		log_fatalx("metrics: out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		log_fatalx("metrics: out of memory");
	return p;
}

static struct family *
family_get(const char *name, const char *help, enum mtype type,
    const double *bounds, size_t nbounds)
{
	struct family *f;

	for (f = families; f; f = f->next)
		if (strcmp(f->name, name) == 0) {
			if (f->type != type)
				log_fatalx("metrics: %s registered twice with two types", name);
			return f;
		}
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->type = type;
	f->tail = &f->series;
	if (nbounds) {
		f->bounds = xcalloc(nbounds, sizeof(double));
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
		f->nbounds = nbounds;
	}
	*families_tail = f;
	families_tail = &f->next;
	return f;
}

static struct metric *
series_get(struct family *f, const char *labels)
{
	struct metric *m;

	for (m = f->series; m; m = m->next)
		if (strcmp(m->labels, labels) == 0)
			return m;
	m = xcalloc(1, sizeof(*m));
	m->fam = f;
	m->labels = xstrdup(labels);
	if (f->type == M_HISTOGRAM)
		m->buckets = xcalloc(f->nbounds, sizeof(*m->buckets));
	*f->tail = m;
	f->tail = &m->next;
	return m;
}

struct metric *
metrics_counter(const char *name, const char *help, const char *labels)
{
	return series_get(family_get(name, help, M_COUNTER, NULL, 0), labels);
}

struct metric *
metrics_gauge(const char *name, const char *help, const char *labels)
{
	return series_get(family_get(name, help, M_GAUGE, NULL, 0), labels);
}

struct metric *
metrics_histogram(const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds)
{
	return series_get(family_get(name, help, M_HISTOGRAM, bounds, nbounds),
	    labels);
}

void
metrics_add(struct metric *m, double v)
{
	m->value += v;
}

void
metrics_set(struct metric *m, double v)
{
	m->value = v;
}

void
metrics_observe(struct metric *m, double v)
{
	struct family *f = m->fam;

	m->value += v;
	m->count++;
	for (size_t i = 0; i < f->nbounds; i++)
		if (v <= f->bounds[i])
			m->buckets[i]++;
}

static void
write_histogram(struct evbuffer *out, const struct family *f,
    const struct metric *m)
{
	const char *sep = m->labels[0] ? "," : "";

	for (size_t i = 0; i < f->nbounds; i++)
		evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n",
		    f->name, m->labels, sep, f->bounds[i], m->buckets[i]);
	evbuffer_add_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name,
	    m->labels, sep, m->count);
	evbuffer_add_printf(out, "%s_sum%s%s%s %.17g\n", f->name,
	    m->labels[0] ? "{" : "", m->labels, m->labels[0] ? "}" : "", m->value);
	evbuffer_add_printf(out, "%s_count%s%s%s %llu\n", f->name,
	    m->labels[0] ? "{" : "", m->labels, m->labels[0] ? "}" : "", m->count);
}

void
metrics_write(struct evbuffer *out)
{
	static const char *const tnames[] = { "counter", "gauge", "histogram" };

	for (const struct family *f = families; f; f = f->next) {
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, tnames[f->type]);
		for (const struct metric *m = f->series; m; m = m->next) {
			if (f->type == M_HISTOGRAM)
				write_histogram(out, f, m);
			else if (m->labels[0])
				evbuffer_add_printf(out, "%s{%s} %.17g\n", f->name,
				    m->labels, m->value);
			else
				evbuffer_add_printf(out, "%s %.17g\n", f->name, m->value);
		}
	}
}
