/*
 * metrics: counters, gauges and histograms kept in this process and written
 * in the Prometheus text format for GET /metrics. A series is found once by
 * name and label text and then updated through its handle, so the hot path
 * does no lookups.
 */
#ifndef RX_METRICS_H
#define RX_METRICS_H

#include <stddef.h>

struct metric;
struct evbuffer;

/* Get or create the series NAME{LABELS}; LABELS is `a="x",b="y"` or "".
 * The handle lives until exit. HELP is kept from the first call. */
struct metric *metrics_counter(const char *name, const char *help,
    const char *labels);
struct metric *metrics_gauge(const char *name, const char *help,
    const char *labels);
/* BOUNDS are the upper bounds of the buckets, ascending; copied. */
struct metric *metrics_histogram(const char *name, const char *help,
    const char *labels, const double *bounds, size_t nbounds);

void metrics_add(struct metric *, double);
void metrics_set(struct metric *, double);
void metrics_observe(struct metric *, double);

/* Append every series to OUT in the Prometheus text format 0.0.4. */
void metrics_write(struct evbuffer *out);

#endif
