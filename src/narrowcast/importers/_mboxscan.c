/*
 * The byte-level reading of mail archives, for narrowcast.importers.mbox.
 *
 * The importer reads the usual messages of a block a column at a time (mbox._usual): this
 * module does the walks over bytes that takes, without Python's lock, and leaves the
 * senders and subjects (Unicode, encoded words) to Arrow's kernels and Python. The rules
 * are mbox's own (_ENVELOPE, _Parser._message), the plain statement the tests hold this
 * code to:
 *
 * - an envelope line is "From ", a sender, a date (_ENVELOPE's form, in bytes);
 * - a message's headers run from the line after its envelope line to the first blank
 *   line; a header is a line that does not start with a space or tab, with the lines after
 *   it that do; its name is matched without regard to case, its value runs from after the
 *   colon to the end of its last line;
 * - its Date in RFC 2822's numeric form and its ids in clean <...> are read here; any
 *   other form (and any byte beyond printable ASCII in them) is left to the one-by-one
 *   reading;
 * - the text is the body's lines, less those quoting another message (starting with
 *   ">"); in a standard mbox (not pipermail's) ">From " is unescaped first; blank lines at
 *   either end are left out.
 *
 * Blocks hold whole lines of valid UTF-8 ending with a newline (mbox._prepared), so the
 * text, made of whole lines less a leading ">", is valid UTF-8 too.
 *
 * Built by the package's install (pyproject.toml); after a change here, install again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32 /* no memmem in its C library */
static void *memmem(const void *haystack, size_t size, const void *needle, size_t length) {
    const char *h = haystack, *end = h + size;
    for (; length && (size_t)(end - h) >= length; h++) {
        h = memchr(h, *(const char *)needle, end - h - length + 1);
        if (h == NULL)
            return NULL;
        if (memcmp(h, needle, length) == 0)
            return (void *)h;
    }
    return NULL;
}
#endif

/* The headers read, in the order of mbox._USUAL_HEADERS. */
static const char *const HEADERS[] = {"from",       "date",        "subject",
                                      "message-id", "in-reply-to", "references"};
#define N_HEADERS 6

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Whether the line [p, end) starts with header name `name` (any case) and one more byte. */
static int named(const char *p, const char *end, const char *name, size_t size) {
    if ((size_t)(end - p) <= size)
        return 0;
    for (size_t i = 0; i < size; i++)
        if (lower(p[i]) != name[i])
            return 0;
    return 1;
}

/* An int64 array of `n` items as bytes (NumPy reads it with frombuffer). */
static PyObject *int64_bytes(const int64_t *values, Py_ssize_t n) {
    return PyBytes_FromStringAndSize((const char *)values, n * (Py_ssize_t)sizeof(int64_t));
}

/* A growing array of int64s. */
typedef struct {
    int64_t *values;
    Py_ssize_t n, cap;
} Positions;

static int add(Positions *a, int64_t value) {
    if (a->n == a->cap) {
        Py_ssize_t cap = a->cap ? 2 * a->cap : 1024;
        int64_t *more = realloc(a->values, cap * sizeof(int64_t));
        if (more == NULL)
            return 0;
        a->values = more;
        a->cap = cap;
    }
    a->values[a->n++] = value;
    return 1;
}

/* Where the newlines of [s, end) are; 0 when out of memory. */
static int walk_newlines(const char *s, const char *end, Positions *found) {
    for (const char *p = s; p < end; p++) {
        p = memchr(p, '\n', end - p);
        if (p == NULL)
            break;
        if (!add(found, p - s))
            return 0;
    }
    return 1;
}

/* Where the lines of [s, end) that start with "From " start; 0 when out of memory. */
static int walk_from_lines(const char *s, const char *end, Positions *found) {
    if (end - s >= 5 && memcmp(s, "From ", 5) == 0 && !add(found, 0))
        return 0;
    for (const char *p = s; p < end; p += 6) {
        p = memmem(p, end - p, "\nFrom ", 6);
        if (p == NULL)
            break;
        if (!add(found, p + 1 - s))
            return 0;
    }
    return 1;
}

/* What `walk` finds in the buffer given in `args`, as bytes of int64s (NumPy reads them
   with frombuffer); the walk runs without Python's lock. */
static PyObject *positions(PyObject *args, int (*walk)(const char *, const char *, Positions *)) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b))
        return NULL;
    Positions found = {NULL, 0, 0};
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = walk(b.buf, (const char *)b.buf + b.len, &found);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    PyObject *result = ok ? int64_bytes(found.values, found.n) : PyErr_NoMemory();
    free(found.values);
    return result;
}

PyDoc_STRVAR(newlines_doc, "newlines(buf) -> bytes\n\n"
                           "Where the newlines of ``buf`` are, as int64s.");

static PyObject *newlines(PyObject *Py_UNUSED(self), PyObject *args) {
    return positions(args, walk_newlines);
}

/* Whether [q, end) is an envelope line's date, mbox._ENVELOPE's group 2:
   "Www Mmm dd HH:MM:SS [+zzzz ]YYYY", the day one or two characters ([ 0-9]?[0-9]). */
static int envelope_date(const char *q, const char *end) {
    static const char DAYS[] = "MonTueWedThuFriSatSun", MONTH_NAMES[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (end - q < 23 || end - q > 30 || q[3] != ' ' || q[7] != ' ')
        return 0;
    int day = 0, month = 0;
    for (int k = 0; k < 7; k++)
        day |= memcmp(q, DAYS + 3 * k, 3) == 0;
    for (int k = 0; k < 12; k++)
        month |= memcmp(q + 4, MONTH_NAMES + 3 * k, 3) == 0;
    if (!day || !month)
        return 0;
    const char *p = q + 8; /* at least 15 characters follow */
    if ((p[0] == ' ' || is_digit(p[0])) && is_digit(p[1]) && p[2] == ' ')
        p += 3;
    else if (is_digit(p[0]) && p[1] == ' ')
        p += 2;
    else
        return 0;
    if (end - p < 13)
        return 0;
    for (int k = 0; k < 8; k++)
        if (k % 3 == 2 ? p[k] != ':' : !is_digit(p[k]))
            return 0;
    if (p[8] != ' ')
        return 0;
    p += 9;
    if (*p == '+' || *p == '-') {
        if (end - p < 10 || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]) ||
            !is_digit(p[4]) || p[5] != ' ')
            return 0;
        p += 6;
    }
    return end - p == 4 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]);
}

/* Python's \s in a bytes pattern. */
static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Where the date of the envelope line [line, eol) starts, or NULL where it is none; as
   mbox._ENVELOPE's bytes form matches it at the line's start: "From ", the sender (a word,
   or else the longest run of characters ending with a space), a space, the date, spaces
   or tabs. The sender ends with a space (two before the date) in pipermail's form. */
static const char *envelope(const char *line, const char *eol) {
    const char *end = eol; /* the date's end */
    while (end > line && is_blank(end[-1]))
        end--;
    const char *word = line + 5, *after = word;
    while (after < eol && !is_space(*after))
        after++;
    if (after > word && after < eol && *after == ' ' && envelope_date(after + 1, end))
        return after + 1;
    static const int LENGTHS[] = {23, 24, 29, 30}; /* the date's: the shortest first */
    for (int k = 0; k < 4; k++) {
        const char *q = end - LENGTHS[k];
        if (q >= line + 8 && q[-1] == ' ' && q[-2] == ' ' && envelope_date(q, end))
            return q;
    }
    return NULL;
}

/* Whether [p, end) holds a byte that is not ASCII or one of the separators \x1c-\x1f:
   where Python's text form of mbox._ENVELOPE may decide otherwise than its bytes form. */
static int unusual(const char *p, const char *end) {
    for (; p < end; p++)
        if ((unsigned char)*p >= 0x80 || ((unsigned char)*p >= 0x1c && (unsigned char)*p <= 0x1f))
            return 1;
    return 0;
}

PyDoc_STRVAR(envelopes_doc,
             "envelopes(buf) -> bytes\n\n"
             "The envelope lines of ``buf`` (whole lines), as mbox._ENVELOPE's bytes form\n"
             "finds them: three int64s a line, where it starts, where it ends (its newline),\n"
             "and flags: 1 for pipermail's form, 2 where it holds a byte on which the text\n"
             "form may decide otherwise (not ASCII, or \\x1c-\\x1f).");

static PyObject *envelopes(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b))
        return NULL;
    const char *s = b.buf, *end = s + b.len;
    Positions lines = {NULL, 0, 0}, found = {NULL, 0, 0};
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = walk_from_lines(s, end, &lines);
    /* Per line found: its start, its end, and a flag byte (1: pipermail, 2: unusual). */
    for (Py_ssize_t k = 0; k < lines.n && ok; k++) {
        const char *line = s + lines.values[k];
        const char *eol = memchr(line, '\n', end - line);
        eol = eol ? eol : end;
        const char *date = envelope(line, eol);
        if (date == NULL)
            continue;
        int64_t flags = (date[-2] == ' ') | (unusual(line, eol) << 1);
        ok = add(&found, line - s) && add(&found, eol - s) && add(&found, flags);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    free(lines.values);
    PyObject *result = ok ? int64_bytes(found.values, found.n) : PyErr_NoMemory();
    free(found.values);
    return result;
}

/* What scan() finds, message by message. */
typedef struct {
    int64_t *bounds;  /* [n][N_HEADERS][2]: each header's value, start and stop */
    uint8_t *given;   /* [n][N_HEADERS]: whether the message has that header */
    uint8_t *usual;   /* [n]: whether the message has the usual form (see scan) */
    int64_t *seconds; /* [n]: its Date, in seconds since the epoch */
    int64_t *ids;     /* [n][N_IDS][2]: its id, parent's and thread's, start and stop */
    uint8_t *has;     /* [n][N_IDS]: whether it names a parent, a thread */
    int64_t *offsets; /* [n + 1]: each message's text in `text` */
    char *text;       /* the texts, one after another */
} Found;

enum { FROM, DATE, SUBJECT, MESSAGE_ID, IN_REPLY_TO, REFERENCES };
enum { ID, PARENT, THREAD, N_IDS };

/* The headers of the message whose envelope line ends at `head` (its newline) and whose
   first blank line is at `blank` (the newline ending the last header line). */
static void headers(const char *s, Py_ssize_t i, int64_t head, int64_t blank, Found *f) {
    int64_t *bounds = f->bounds + i * N_HEADERS * 2;
    uint8_t *given = f->given + i * N_HEADERS;
    int current = -1; /* the header whose value the next continuation lines extend */
    const char *p = s + head + 1, *stop = s + blank;
    while (p <= stop) {
        const char *eol = memchr(p, '\n', stop + 1 - p);
        if (is_blank(*p)) { /* a continuation line */
            if (current >= 0)
                bounds[2 * current + 1] = eol - s;
        } else {
            current = -1;
            for (int h = 0; h < N_HEADERS; h++) {
                size_t size = strlen(HEADERS[h]);
                if (!named(p, eol, HEADERS[h], size))
                    continue;
                if (is_blank(p[size]))
                    f->usual[i] = 0; /* "Name :": left to the one-by-one reading */
                else if (p[size] == ':' && !given[h]) {
                    given[h] = 1;
                    bounds[2 * h] = p + size + 1 - s;
                    bounds[2 * h + 1] = eol - s;
                    current = h;
                }
                break;
            }
        }
        p = eol + 1;
    }
}

/* A header value as _Parser._message reads it, for the date and the ids: the bytes
   [start, stop) with the newlines of folded lines left out, and spaces and tabs at either
   end stripped. Only printable ASCII and tabs are taken (a value with any other byte is
   left to the one-by-one reading, where Python's str.strip() decides what a space is):
   returns 0 for such a value. */
static int plain(const char *s, int64_t *start, int64_t *stop) {
    for (int64_t k = *start; k < *stop; k++) {
        unsigned char c = (unsigned char)s[k];
        if ((c < 0x20 && c != '\t' && c != '\n') || c > 0x7e)
            return 0;
    }
    while (*start < *stop && (is_blank(s[*start]) || s[*start] == '\n'))
        (*start)++;
    while (*stop > *start && (is_blank(s[*stop - 1]) || s[*stop - 1] == '\n'))
        (*stop)--;
    return 1;
}

/* The id in the <...> at `open` (a "<") of [open, stop): its span, stripped, in `id`.
   Returns 0 where no ">" closes it before another "<", -1 where the id is empty or
   spans a folded line (left to the one-by-one reading), 1 where found. */
static int angle(const char *s, int64_t open, int64_t stop, int64_t *id) {
    int64_t close = open + 1;
    while (close < stop && s[close] != '<' && s[close] != '>')
        close++;
    if (close == stop || s[close] == '<')
        return 0;
    id[0] = open + 1;
    id[1] = close;
    plain(s, &id[0], &id[1]);
    if (id[0] == id[1] || memchr(s + id[0], '\n', id[1] - id[0]) != NULL)
        return -1;
    return 1;
}

/* The id in the <...> the first "<" of the value [start, stop) opens, closed by a ">"
   before any other "<" (Message-ID's, In-Reply-To's); with `any`, in the first "<...>" so
   closed (References' first). 1 and its span in `id` where there is one, else 0: such a
   value is left to the one-by-one reading (mbox._angle_id), which reads unusual forms. */
static int first_id(const char *s, int64_t start, int64_t stop, int any, int64_t *id) {
    for (int64_t k = start; k < stop; k++) {
        if (s[k] != '<')
            continue;
        int found = angle(s, k, stop, id);
        if (found != 0 || !any)
            return found == 1;
    }
    return 0;
}

/* The id in the <...> the last "<" of the value opens (References' last), as first_id. */
static int last_id(const char *s, int64_t start, int64_t stop, int64_t *id) {
    for (int64_t k = stop - 1; k >= start; k--)
        if (s[k] == '<')
            return angle(s, k, stop, id) == 1;
    return 0;
}

/* Digits at `*p` (at least `least`, at most `most`), as a number in `*value`. */
static int digits(const char **p, const char *end, int least, int most, int *value) {
    int k = 0;
    *value = 0;
    while (k < most && *p < end && is_digit(**p)) {
        *value = *value * 10 + (**p - '0');
        (*p)++;
        k++;
    }
    return k >= least;
}

/* At least one space or tab at `*p`, skipped. */
static int spaces(const char **p, const char *end) {
    const char *from = *p;
    while (*p < end && is_blank(**p))
        (*p)++;
    return *p > from;
}

static int is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static const char MONTHS[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* The Date value [start, stop) in seconds since the epoch, where it has RFC 2822's
   numeric form, "[Www,] d Mon yyyy h:mm[:ss] +hhmm [(comment)]" (spaces or tabs between,
   the month in any case, a comment of printable ASCII), and is a real day and time;
   else 0. mbox._Parser._date_seconds reads every such date the same way. */
static int usual_date(const char *s, int64_t start, int64_t stop, int64_t *seconds) {
    char text[256]; /* the value with folded lines' newlines left out */
    int64_t n = 0;
    if (!plain(s, &start, &stop))
        return 0;
    for (int64_t k = start; k < stop; k++) {
        if (s[k] == '\n')
            continue;
        if (n == (int64_t)sizeof(text))
            return 0;
        text[n++] = s[k];
    }
    const char *p = text, *end = text + n;
    if (end - p >= 4 && is_letter(p[0]) && is_letter(p[1]) && is_letter(p[2]) && p[3] == ',') {
        p += 4;
        while (p < end && is_blank(*p))
            p++;
    }
    int day, year, hour, minute, second = 0, oh, om;
    if (!digits(&p, end, 1, 2, &day) || !spaces(&p, end) || end - p < 3)
        return 0;
    char mon[3] = {lower(p[0]), lower(p[1]), lower(p[2])};
    int month = 0;
    for (int m = 0; m < 12 && !month; m++)
        if (memcmp(mon, MONTHS + 3 * m, 3) == 0)
            month = m + 1;
    p += 3;
    if (!month || !spaces(&p, end) || !digits(&p, end, 4, 4, &year) || !spaces(&p, end))
        return 0;
    if (!digits(&p, end, 1, 2, &hour) || p == end || *p++ != ':')
        return 0;
    if (!digits(&p, end, 2, 2, &minute))
        return 0;
    if (p < end && *p == ':' && (++p, !digits(&p, end, 2, 2, &second)))
        return 0;
    if (!spaces(&p, end) || p == end || (*p != '+' && *p != '-'))
        return 0;
    int sign = *p++ == '+' ? -1 : 1;
    if (!digits(&p, end, 2, 2, &oh) || !digits(&p, end, 2, 2, &om))
        return 0;
    if (p < end) { /* a comment: (printable ASCII) */
        while (p < end && is_blank(*p))
            p++;
        if (end - p < 2 || *p != '(' || end[-1] != ')')
            return 0;
        for (const char *c = p; c < end; c++)
            if (*c < ' ' || *c > '~')
                return 0;
    }
    static const int DAYS_IN[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0) && (year % 100 != 0 || year % 400 == 0);
    int days_in = DAYS_IN[month] + (leap && month == 2);
    if (year < 1 || day < 1 || day > days_in || hour >= 24 || minute >= 60 || second >= 60)
        return 0;
    /* Days since the epoch of a civil date (H. Hinnant's algorithm). */
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    *seconds = days * 86400 + hour * 3600 + minute * 60 + second + sign * (oh * 3600 + om * 60);
    return 1;
}

/* Whether the value [start, stop) is blank once unfolded and stripped (mbox treats a
   blank In-Reply-To or References as absent). */
static int blank_value(const char *s, int64_t start, int64_t stop) {
    for (int64_t k = start; k < stop; k++)
        if (!is_blank(s[k]) && s[k] != '\n')
            return 0;
    return 1;
}

/* The date and the ids of message i, whose headers are read; 0 where they are not of the
   usual form: a Date of usual_date's form, a Message-ID with a clean <...>, and
   where In-Reply-To or References say something, the ids they name. */
static int date_and_ids(const char *s, Py_ssize_t i, Found *f) {
    const int64_t *value = f->bounds + i * N_HEADERS * 2;
    const uint8_t *given = f->given + i * N_HEADERS;
    int64_t *ids = f->ids + i * N_IDS * 2;
    uint8_t *has = f->has + i * N_IDS;
#define START(h) value[2 * (h)]
#define STOP(h) value[2 * (h) + 1]
    if (!given[DATE] || !usual_date(s, START(DATE), STOP(DATE), f->seconds + i))
        return 0;
    int64_t from, to; /* the ids' headers hold printable ASCII only */
    for (int h = MESSAGE_ID; h <= REFERENCES; h++) {
        from = START(h), to = STOP(h);
        if (given[h] && !plain(s, &from, &to))
            return 0;
    }
    if (!given[MESSAGE_ID] || !first_id(s, START(MESSAGE_ID), STOP(MESSAGE_ID), 0, ids))
        return 0;
    int replied = given[IN_REPLY_TO] && !blank_value(s, START(IN_REPLY_TO), STOP(IN_REPLY_TO));
    int referred = given[REFERENCES] && !blank_value(s, START(REFERENCES), STOP(REFERENCES));
    int64_t last[2];
    if (replied && !first_id(s, START(IN_REPLY_TO), STOP(IN_REPLY_TO), 0, ids + 2 * PARENT))
        return 0;
    if (referred && !(first_id(s, START(REFERENCES), STOP(REFERENCES), 1, ids + 2 * THREAD) &&
                      last_id(s, START(REFERENCES), STOP(REFERENCES), last)))
        return 0;
#undef START
#undef STOP
    /* A reply's parent is In-Reply-To's id, else References' last; its thread References'
       first; a message that names neither is a post, its own thread. */
    if (!replied && referred)
        memcpy(ids + 2 * PARENT, last, sizeof(last));
    has[PARENT] = replied || referred;
    has[THREAD] = referred || !has[PARENT];
    if (!has[PARENT])
        memcpy(ids + 2 * THREAD, ids, 2 * sizeof(int64_t));
    has[ID] = 1;
    return 1;
}

/* The text of a message's body [start, stop), appended at `out`; returns its length. */
static int64_t own_lines(const char *s, int64_t start, int64_t stop, int pipermail, char *out) {
    int64_t n = 0, written = -1; /* length once the last line with something on it is in */
    const char *p = s + start, *end = s + stop;
    while (p < end) {
        const char *eol = memchr(p, '\n', end - p);
        if (eol == NULL)
            eol = end;
        const char *from = p;
        int kept = 1;
        if (eol > p && *p == '>') {
            kept = !pipermail && eol - p >= 6 && memcmp(p + 1, "From ", 5) == 0;
            from = p + 1; /* ">From " unescaped */
        }
        if (kept && (eol > from || written >= 0)) {
            if (written >= 0)
                out[n++] = '\n';
            memcpy(out + n, from, eol - from);
            n += eol - from;
            if (eol > from)
                written = n;
        }
        p = eol + 1;
    }
    return written < 0 ? 0 : written;
}

PyDoc_STRVAR(
    scan_doc,
    "scan(buf, starts, heads, pipermail)\n"
    "    -> (bounds, given, usual, seconds, ids, has, offsets, text)\n\n"
    "Read the messages of ``buf``: message i starts at ``starts[i]`` (int64s), its envelope\n"
    "line ends at ``heads[i]``, and ``pipermail[i]`` (bytes) says whether it is\n"
    "pipermail's form; it ends where the next starts, the last at the end of ``buf``.\n\n"
    "Returns, as bytes, for each message: the bounds (start, stop) of the value of each\n"
    "header of mbox._USUAL_HEADERS (int64s; where not given, both the message's start) and\n"
    "whether it is given (a byte each); whether the message has the usual form (a blank\n"
    "line ends its headers, no header name is spaced from its colon, a Date of\n"
    "RFC 2822's numeric form, a Message-ID in a clean <...>, the ids In-Reply-To and\n"
    "References name, where they say something, in clean <...> too). For those: the Date\n"
    "in seconds since the epoch (int64s); the bounds of its id, its parent's and its\n"
    "thread's (int64s) and whether it names a parent and a thread (bytes); and the\n"
    "offsets of the texts (int64s, n + 1) and the texts.");

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer b, st, hd, pm;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &b, &st, &hd, &pm))
        return NULL;
    PyObject *result = NULL;
    Found f = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t n = st.len / (Py_ssize_t)sizeof(int64_t);
    if (hd.len != st.len || pm.len != n) {
        PyErr_SetString(PyExc_ValueError, "starts, heads and pipermail differ in length");
        goto done;
    }
    const char *s = b.buf;
    const int64_t *starts = st.buf, *heads = hd.buf;
    const uint8_t *pipermail = pm.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t stop = i + 1 < n ? starts[i + 1] : b.len;
        if (starts[i] < 0 || starts[i] > heads[i] || heads[i] >= stop || stop > b.len) {
            PyErr_SetString(PyExc_ValueError, "message bounds out of order");
            goto done;
        }
    }
    f.bounds = malloc((n * N_HEADERS * 2 + 1) * sizeof(int64_t));
    f.given = calloc(n * N_HEADERS + 1, 1);
    f.usual = malloc(n + 1);
    f.seconds = calloc(n + 1, sizeof(int64_t));
    f.ids = malloc((n * N_IDS * 2 + 1) * sizeof(int64_t));
    f.has = calloc(n * N_IDS + 1, 1);
    f.offsets = malloc((n + 1) * sizeof(int64_t));
    f.text = malloc(b.len + 1); /* a text is never longer than its message */
    if (!f.bounds || !f.given || !f.usual || !f.seconds || !f.ids || !f.has || !f.offsets ||
        !f.text) {
        PyErr_NoMemory();
        goto freed;
    }
    Py_BEGIN_ALLOW_THREADS
    f.offsets[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t start = starts[i], head = heads[i], stop = i + 1 < n ? starts[i + 1] : b.len;
        for (int h = 0; h < 2 * N_HEADERS; h++)
            f.bounds[i * N_HEADERS * 2 + h] = start;
        for (int h = 0; h < 2 * N_IDS; h++)
            f.ids[i * N_IDS * 2 + h] = start;
        /* The headers end at the first blank line, which must leave the message a body. */
        const char *blank = memmem(s + head, stop - head, "\n\n", 2);
        f.usual[i] = blank != NULL && blank > s + head;
        int64_t length = 0;
        if (f.usual[i])
            headers(s, i, head, blank - s, &f);
        if (f.usual[i] && !date_and_ids(s, i, &f)) {
            f.usual[i] = 0;
            memset(f.has + i * N_IDS, 0, N_IDS);
        }
        if (f.usual[i])
            length = own_lines(s, blank - s + 2, stop, pipermail[i], f.text + f.offsets[i]);
        f.offsets[i + 1] = f.offsets[i] + length;
    }
    Py_END_ALLOW_THREADS
    PyObject *parts[] = {
        int64_bytes(f.bounds, n * N_HEADERS * 2),
        PyBytes_FromStringAndSize((char *)f.given, n * N_HEADERS),
        PyBytes_FromStringAndSize((char *)f.usual, n),
        int64_bytes(f.seconds, n),
        int64_bytes(f.ids, n * N_IDS * 2),
        PyBytes_FromStringAndSize((char *)f.has, n * N_IDS),
        int64_bytes(f.offsets, n + 1),
        PyBytes_FromStringAndSize(f.text, f.offsets[n]),
    };
    const int n_parts = sizeof(parts) / sizeof(parts[0]);
    result = PyTuple_New(n_parts);
    for (int j = 0; j < n_parts; j++) {
        if (parts[j] == NULL)
            Py_CLEAR(result);
        if (result != NULL)
            PyTuple_SET_ITEM(result, j, parts[j]); /* the tuple takes the reference */
        else
            Py_XDECREF(parts[j]);
    }
freed:
    free(f.bounds);
    free(f.given);
    free(f.usual);
    free(f.seconds);
    free(f.ids);
    free(f.has);
    free(f.offsets);
    free(f.text);
done:
    PyBuffer_Release(&b);
    PyBuffer_Release(&st);
    PyBuffer_Release(&hd);
    PyBuffer_Release(&pm);
    return result;
}

static PyMethodDef methods[] = {
    {"newlines", newlines, METH_VARARGS, newlines_doc},
    {"envelopes", envelopes, METH_VARARGS, envelopes_doc},
    {"scan", scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mboxscan", "The byte-level reading of mail archives.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mboxscan(void) { return PyModule_Create(&module); }
