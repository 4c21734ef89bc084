/*
 * The byte-level reading of mail archives, for narrowcast.importers.mbox.
 *
 * The importer reads the usual messages of a block a column at a time (mbox._usual): this
 * module does the part of that which is a walk over lines, once per message, without
 * Python's lock, and leaves the rest (dates, ids, decoding) to Arrow's kernels. The rules
 * are mbox._Parser._message's, the plain statement the tests hold this code to:
 *
 * - a message's headers run from the line after its envelope line to the first blank
 *   line; a header is a line that does not start with a space or tab, with the lines after
 *   it that do; its name is matched without regard to case, its value runs from after the
 *   colon to the end of its last line;
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

/* The headers read, in the order of mbox._USUAL_HEADERS. */
static const char *const HEADERS[] = {"from",       "date",        "subject",
                                      "message-id", "in-reply-to", "references"};
#define N_HEADERS 6

static int is_blank(char c) { return c == ' ' || c == '\t'; }

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

PyDoc_STRVAR(from_lines_doc,
             "from_lines(buf) -> bytes\n\n"
             "Where each line of ``buf`` that starts with \"From \" starts, as int64s.");

static PyObject *from_lines(PyObject *Py_UNUSED(self), PyObject *args) {
    return positions(args, walk_from_lines);
}

/* What scan() finds, message by message. */
typedef struct {
    int64_t *bounds;  /* [n][N_HEADERS][2]: each header's value, start and stop */
    uint8_t *given;   /* [n][N_HEADERS]: whether the message has that header */
    uint8_t *usual;   /* [n]: a blank line ends the headers, no "Name :" */
    int64_t *offsets; /* [n + 1]: each message's text in `text` */
    char *text;       /* the texts, one after another */
} Found;

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
    "scan(buf, starts, heads, pipermail) -> (bounds, given, usual, offsets, text)\n\n"
    "Read the messages of ``buf``: message i starts at ``starts[i]`` (int64s), its envelope\n"
    "line ends at ``heads[i]``, and ``pipermail[i]`` (bytes) says whether it is\n"
    "pipermail's form; it ends where the next starts, the last at the end of ``buf``.\n\n"
    "Returns, as bytes: each message's value bounds (start, stop) of each header of\n"
    "mbox._USUAL_HEADERS (int64s; where not given, both the message's start), whether it\n"
    "is given (a byte each), whether the message has the usual form (a blank line ends its\n"
    "headers, no header name is spaced from its colon), and for those, the offsets of\n"
    "their texts (int64s, n + 1) and the texts.");

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer b, st, hd, pm;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &b, &st, &hd, &pm))
        return NULL;
    PyObject *result = NULL;
    Found f = {NULL, NULL, NULL, NULL, NULL};
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
    f.offsets = malloc((n + 1) * sizeof(int64_t));
    f.text = malloc(b.len + 1); /* a text is never longer than its message */
    if (!f.bounds || !f.given || !f.usual || !f.offsets || !f.text) {
        PyErr_NoMemory();
        goto freed;
    }
    Py_BEGIN_ALLOW_THREADS
    f.offsets[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t start = starts[i], head = heads[i], stop = i + 1 < n ? starts[i + 1] : b.len;
        for (int h = 0; h < 2 * N_HEADERS; h++)
            f.bounds[i * N_HEADERS * 2 + h] = start;
        /* The headers end at the first blank line, which must leave the message a body. */
        const char *blank = memmem(s + head, stop - head, "\n\n", 2);
        f.usual[i] = blank != NULL && blank > s + head;
        int64_t length = 0;
        if (f.usual[i])
            headers(s, i, head, blank - s, &f);
        if (f.usual[i])
            length = own_lines(s, blank - s + 2, stop, pipermail[i], f.text + f.offsets[i]);
        f.offsets[i + 1] = f.offsets[i] + length;
    }
    Py_END_ALLOW_THREADS
    PyObject *parts[5] = {
        int64_bytes(f.bounds, n * N_HEADERS * 2),
        PyBytes_FromStringAndSize((char *)f.given, n * N_HEADERS),
        PyBytes_FromStringAndSize((char *)f.usual, n),
        int64_bytes(f.offsets, n + 1),
        PyBytes_FromStringAndSize(f.text, f.offsets[n]),
    };
    if (parts[0] && parts[1] && parts[2] && parts[3] && parts[4])
        result = PyTuple_Pack(5, parts[0], parts[1], parts[2], parts[3], parts[4]);
    for (int j = 0; j < 5; j++)
        Py_XDECREF(parts[j]);
freed:
    free(f.bounds);
    free(f.given);
    free(f.usual);
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
    {"from_lines", from_lines, METH_VARARGS, from_lines_doc},
    {"scan", scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mboxscan", "The byte-level reading of mail archives.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mboxscan(void) { return PyModule_Create(&module); }
