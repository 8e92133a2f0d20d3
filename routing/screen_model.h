/*
 * screen_model: the statistical second signal of safety screening
 * (docs/screening.md, "The statistical second signal"): a fastText
 * classifier, routing/screening/model.ftz, trained by
 * scripts/train-screening-model on the development corpus. It says
 * "possible AE" / "possible complaint" where the lexicon is silent; it
 * never clears what the lexicon flagged.
 *
 * A C API over the C++ library (libfasttext-dev has none). Loading is not
 * thread-safe; scoring is, once loaded.
 */
#ifndef RX_SCREEN_MODEL_H
#define RX_SCREEN_MODEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The model's file name inside a screening folder (screen_default_dir()). */
#define SCREEN_MODEL_FILE "model.ftz"

/* The thresholds chosen by cross-validation on the development corpus:
 * "possible" when p >= the threshold and the lexicon raised nothing. */
#define SCREEN_MODEL_AE_THRESHOLD		0.80f
#define SCREEN_MODEL_COMPLAINT_THRESHOLD	0.80f

/* Loads (or replaces) the model: 0, or -1 with *cause set (a static
 * string); a failed load keeps the model in force. */
int screen_model_load(const char *path, const char **cause);

/* Whether a model is loaded. */
int screen_model_loaded(void);

/* p(AE), p(complaint) and p(neither) of a UTF-8 text, each in [0, 1] (the
 * labels are scored one against the rest, so they need not sum to 1;
 * P_NONE may be NULL): 0, or -1 when no model is loaded or the text cannot
 * be read (all set to 0). */
int screen_model_score(const char *text, float *p_ae, float *p_complaint,
    float *p_none);

/* The text as the model sees it (NFKC case folding, ё as е, apostrophes as
 * ', ICU words, digits as 0, one space between words), as
 * scripts/train-screening-model --print-text writes it: a malloc'd string,
 * NULL on failure. */
char *screen_model_normalise(const char *text);

void screen_model_free(void);

#ifdef __cplusplus
}
#endif

#endif
