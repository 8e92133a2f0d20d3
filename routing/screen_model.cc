/*
 * screen_model.cc: the fastText second signal (screen_model.h). The
 * normalisation is the one of scripts/train-screening-model, with the same
 * ICU calls: NFKC_Casefold, ё→е and apostrophes to ', the root locale's
 * word break iterator keeping only words (rule status >= 100), every
 * decimal digit as 0, words joined by one space, a line end (fastText's
 * end-of-sentence token, as in the training file).
 */
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fasttext/fasttext.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "routing/screen_model.h"

namespace {

std::shared_ptr<fasttext::FastText> model;
std::mutex model_lock;

std::shared_ptr<fasttext::FastText>
current()
{
	std::lock_guard<std::mutex> g(model_lock);
	return model;
}

bool
apostrophe(UChar32 c)
{
	return c == 0x2019 || c == 0x2018 || c == 0x02BC || c == 0x0060 ||
	    c == 0x00B4 || c == 0x2032 || c == 0xFF07;
}

void
append_utf8(std::string &out, const UChar *s, int32_t n)
{
	int32_t need = 0;
	UErrorCode e = U_ZERO_ERROR;

	u_strToUTF8(nullptr, 0, &need, s, n, &e);
	if (need == 0)
		return;
	e = U_ZERO_ERROR;
	size_t at = out.size();
	out.resize(at + (size_t)need + 1);
	u_strToUTF8(&out[at], need + 1, nullptr, s, n, &e);
	out.resize(U_SUCCESS(e) ? at + (size_t)need : at);
}

bool
normalise(const char *text, std::string &out)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t n = 0;

	out.clear();
	/* UTF-8 to UTF-16, bad bytes as U+FFFD. */
	u_strFromUTF8WithSub(nullptr, 0, &n, text, -1, 0xFFFD, nullptr, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return false;
	std::vector<UChar> src((size_t)n + 1);
	e = U_ZERO_ERROR;
	u_strFromUTF8WithSub(src.data(), n + 1, nullptr, text, -1, 0xFFFD, nullptr, &e);
	if (U_FAILURE(e))
		return false;

	const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&e);
	if (U_FAILURE(e))
		return false;
	int32_t m = unorm2_normalize(nfkc, src.data(), n, nullptr, 0, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return false;
	std::vector<UChar> folded((size_t)m + 1);
	e = U_ZERO_ERROR;
	unorm2_normalize(nfkc, src.data(), n, folded.data(), m + 1, &e);
	if (U_FAILURE(e))
		return false;
	for (int32_t i = 0; i < m; i++) {
		if (folded[i] == 0x0451)
			folded[i] = 0x0435;
		else if (apostrophe(folded[i]))
			folded[i] = '\'';
	}

	UBreakIterator *bi = ubrk_open(UBRK_WORD, "", folded.data(), m, &e);
	if (U_FAILURE(e))
		return false;
	std::vector<UChar> word;
	int32_t start = ubrk_first(bi);
	for (int32_t end = ubrk_next(bi); end != UBRK_DONE; start = end, end = ubrk_next(bi)) {
		if (ubrk_getRuleStatus(bi) < UBRK_WORD_NONE_LIMIT)
			continue;
		word.clear();
		for (int32_t i = start; i < end;) {
			UChar32 c;
			U16_NEXT(folded.data(), i, end, c);
			if (u_isdigit(c))
				c = '0';
			UChar buf[2];
			int32_t k = 0;
			U16_APPEND_UNSAFE(buf, k, c);
			word.insert(word.end(), buf, buf + k);
		}
		if (!out.empty())
			out += ' ';
		append_utf8(out, word.data(), (int32_t)word.size());
	}
	ubrk_close(bi);
	return true;
}

} // namespace

extern "C" int
screen_model_load(const char *path, const char **cause)
{
	try {
		auto m = std::make_shared<fasttext::FastText>();
		m->loadModel(std::string(path));
		auto d = m->getDictionary();
		bool ae = false, pqc = false;
		for (int32_t i = 0; i < d->nlabels(); i++) {
			ae = ae || d->getLabel(i) == "__label__ae";
			pqc = pqc || d->getLabel(i) == "__label__complaint";
		}
		if (!ae || !pqc) {
			if (cause)
				*cause = "the model has no __label__ae or no __label__complaint";
			return -1;
		}
		std::lock_guard<std::mutex> g(model_lock);
		model = std::move(m);
		return 0;
	} catch (const std::exception &) {
		/* fastText says why in a message we cannot keep: a static one. */
		if (cause)
			*cause = "cannot read the fastText model (missing, or not a fastText model)";
		return -1;
	} catch (...) {
		if (cause)
			*cause = "cannot read the fastText model";
		return -1;
	}
}

extern "C" int
screen_model_loaded(void)
{
	return current() != nullptr;
}

extern "C" int
screen_model_score(const char *text, float *p_ae, float *p_complaint,
    float *p_none)
{
	*p_ae = *p_complaint = 0.0f;
	if (p_none)
		*p_none = 0.0f;
	auto m = current();
	if (m == nullptr || text == nullptr)
		return -1;
	try {
		std::string norm;
		if (!normalise(text, norm))
			return -1;
		norm += '\n';
		std::istringstream in(norm);
		std::vector<std::pair<fasttext::real, std::string>> pred;
		m->predictLine(in, pred, -1, 0.0);
		/* fastText gives exp(log(p + 1e-5)): clamp to [0, 1]. */
		for (const auto &p : pred) {
			float v = p.first < 0 ? 0.0f : p.first > 1 ? 1.0f : (float)p.first;
			if (p.second == "__label__ae")
				*p_ae = v;
			else if (p.second == "__label__complaint")
				*p_complaint = v;
			else if (p.second == "__label__none" && p_none)
				*p_none = v;
		}
		return 0;
	} catch (...) {
		return -1;
	}
}

extern "C" char *
screen_model_normalise(const char *text)
{
	try {
		std::string norm;
		if (text == nullptr || !normalise(text, norm))
			return nullptr;
		return strdup(norm.c_str());
	} catch (...) {
		return nullptr;
	}
}

extern "C" void
screen_model_free(void)
{
	std::lock_guard<std::mutex> g(model_lock);
	model.reset();
}
