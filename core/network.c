/* network.c - batched forward and backward passes of the dense layer stack, on CBLAS. */
#include "network.h"
#include "clones.h"
#include "mg_error.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Most rows per forward pass when predicting, so memory stays bounded for any n. */
#define PREDICT_CHUNK 4096
/*
 * Every forward pass when predicting has a multiple of this many rows, the last
 * rows padded with zero rows, so that a row's prediction is bit-identical alone,
 * in a batch of any size, at any position. Left to choose by the batch's shape,
 * OpenBLAS takes other kernels for short or ragged row counts, and about a third
 * of an MLP's predictions moved in their last bits between a batch and single
 * rows. With whole blocks of 16 (a multiple of the row unroll of OpenBLAS's x86
 * dgemm kernels) every row goes through the same kernel and summation order: the
 * test holds for the Zen, Haswell, Sandybridge, Nehalem and Prescott kernels,
 * and fails with blocks of 4. A single row costs a 16-row pass (6.5 us instead
 * of 2.7 for an MLP 64,32); a million rows cost what they did.
 */
#define PREDICT_BLOCK 16
_Static_assert(PREDICT_CHUNK % PREDICT_BLOCK == 0, "passes must hold whole blocks");

int model_scratch_reserve(model_scratch *s, const mg_model *m, size_t rows)
{
    size_t total = 0, widest = 0;
    double *block, **act, *p;

    if (rows <= s->rows && s->act)
        return MG_OK;
    if (rows < 1)
        rows = 1;
    for (size_t l = 1; l <= m->nlayers; l++) {
        total += rows * m->sizes[l];
        if (m->sizes[l] > widest)
            widest = m->sizes[l];
    }
    total += 2 * rows * widest + rows;
    block = malloc(total * sizeof *block);
    act = calloc(m->nlayers + 1, sizeof *act);
    if (!block || !act) {
        free(block);
        free(act);
        return mg_error_set(MG_ENOMEM, "model: no memory for a batch of %zu rows", rows);
    }
    model_scratch_free(s);
    p = block;
    for (size_t l = 1; l <= m->nlayers; l++) {
        act[l] = p;
        p += rows * m->sizes[l];
    }
    s->delta[0] = p;
    s->delta[1] = p + rows * widest;
    s->ones = p + 2 * rows * widest;
    for (size_t r = 0; r < rows; r++)
        s->ones[r] = 1.0;
    s->act = act;
    s->block = block;
    s->rows = rows;
    return MG_OK;
}

void model_scratch_free(model_scratch *s)
{
    if (!s)
        return;
    free(s->block);
    free(s->act);
    free(s->deltas);
    free(s->csr.ptr);
    free(s->csr.col);
    free(s->csr.val);
    free(s->wt);
    free(s->gwt);
    *s = (model_scratch)MODEL_SCRATCH_INIT;
}

/*
 * ReLU and its derivative on the bits, without a branch: the signs are
 * random, and a mispredicted branch per element (what compilers emit for
 * v > 0 ? v : 0) cost more than the matrix products around it.
 */
static double relu(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    u &= ~(uint64_t)((int64_t)u >> 63); /* negative (sign bit set) -> +0 */
    memcpy(&v, &u, sizeof v);
    return v;
}

/* d where a = relu(z) > 0, else 0; a is never negative. */
static double relu_pass(double d, double a)
{
    uint64_t ua, ud;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ud, &d, sizeof ud);
    ud &= (uint64_t)((int64_t)(0 - ua) >> 63); /* all ones unless a is +0 */
    memcpy(&d, &ud, sizeof d);
    return d;
}

/* z = z + b per row, then the activation (hidden layers) in the same pass. */
MG_CLONES static void bias_activate(double *restrict Z, const double *restrict b, size_t B,
                                    size_t out, int hidden, mg_activation f)
{
    for (size_t r = 0; r < B; r++) {
        double *restrict z = Z + r * out;
        if (!hidden) {
            for (size_t o = 0; o < out; o++)
                z[o] += b[o];
        } else if (f == MG_ACT_RELU) {
            size_t o = 0;
            for (; o + 8 <= out; o += 8) /* blocks of 8 for MG_CLONES */
                for (size_t k = o; k < o + 8; k++)
                    z[k] = relu(z[k] + b[k]);
            for (; o < out; o++)
                z[o] = relu(z[o] + b[o]);
        } else {
            for (size_t o = 0; o < out; o++)
                z[o] = tanh(z[o] + b[o]);
        }
    }
}

/* delta *= f'(z), written through the activation a = f(z). */
MG_CLONES static void activate_backward(double *restrict delta, const double *restrict a,
                                        size_t n, mg_activation f)
{
    if (f == MG_ACT_RELU) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (size_t k = 0; k < 8; k++)
                delta[i + k] = relu_pass(delta[i + k], a[i + k]);
        for (; i < n; i++)
            delta[i] = relu_pass(delta[i], a[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            delta[i] *= 1.0 - a[i] * a[i];
    }
}

/* dst (cols x rows) = src^T (rows x cols), both row-major. */
static void transpose(double *dst, const double *src, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * rows + r] = src[r * cols + c];
}

/* The sparse kernels are short axpys of a layer's width, in blocks of 8 for MG_CLONES. */
/* y += a x over n values. */
static inline __attribute__((always_inline)) void axpy(double *restrict y, double a,
                                                        const double *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t k = 0; k < 8; k++)
            y[i + k] += a * x[i + k];
    for (; i < n; i++)
        y[i] += a * x[i];
}

/*
 * Z = X W^T of the first layer on the sparse batch: each row's z is the sum
 * of its non-zeros x_k times column k of W, a contiguous row of W^T.
 */
MG_CLONES static void first_layer_sparse(model_scratch *s, const mg_model *m, double *Z, size_t B)
{
    size_t in = m->sizes[0], out = m->sizes[1];
    const model_csr *X = &s->csr;

    transpose(s->wt, m->params + m->offsets[0], out, in);
    memset(Z, 0, B * out * sizeof *Z);
    for (size_t r = 0; r < B; r++) {
        double *z = Z + r * out;
        for (size_t j = X->ptr[r]; j < X->ptr[r + 1]; j++)
            axpy(z, X->val[j], s->wt + (size_t)X->col[j] * out, out);
    }
}

/*
 * gW = delta^T X of the first layer on the sparse batch, accumulated in W^T's
 * layout (weighted rows: delta's rows already scaled by their weights).
 */
MG_CLONES static void first_grad_sparse(model_scratch *s, const mg_model *m, const double *delta,
                              size_t B, double *gW)
{
    size_t in = m->sizes[0], out = m->sizes[1];
    const model_csr *X = &s->csr;

    memset(s->gwt, 0, in * out * sizeof *s->gwt);
    for (size_t r = 0; r < B; r++) {
        const double *d = delta + r * out;
        for (size_t j = X->ptr[r]; j < X->ptr[r + 1]; j++)
            axpy(s->gwt + (size_t)X->col[j] * out, X->val[j], d, out);
    }
    transpose(gW, s->gwt, in, out);
}

/*
 * Z = A W^T + 1 b^T for every layer; the last layer's Z stays in act[nlayers].
 * X NULL: the input is the sparse batch in s->csr.
 */
static void forward_layers(model_scratch *s, const mg_model *m, const double *X, size_t B)
{
    for (size_t l = 0; l < m->nlayers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        const double *A = l == 0 ? X : s->act[l];
        const double *W = m->params + m->offsets[l], *b = W + out * in;
        double *Z = s->act[l + 1];

        if (!A)
            first_layer_sparse(s, m, Z, B);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)out, (int)in, 1.0,
                        A, (int)in, W, (int)in, 0.0, Z, (int)out);
        bias_activate(Z, b, B, out, l + 1 < m->nlayers, m->activation);
    }
}

static double sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* log(1 + e^z) without overflow. */
static double softplus(double z)
{
    return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

static void head_apply(const mg_model *m, const double *Z, size_t B, double *out)
{
    size_t K = m->sizes[m->nlayers];

    if (m->head == HEAD_IDENTITY) {
        memcpy(out, Z, B * K * sizeof *out);
    } else if (m->head == HEAD_SIGMOID) {
        for (size_t r = 0; r < B; r++)
            out[r] = sigmoid(Z[r]);
    } else {
        for (size_t r = 0; r < B; r++) {
            const double *z = Z + r * K;
            double *p = out + r * K, mx = z[0], sum = 0;
            for (size_t k = 1; k < K; k++)
                mx = z[k] > mx ? z[k] : mx;
            for (size_t k = 0; k < K; k++)
                sum += (p[k] = exp(z[k] - mx));
            for (size_t k = 0; k < K; k++)
                p[k] /= sum;
        }
    }
}

void model_forward(model_scratch *s, const mg_model *m, const double *X, size_t B, double *out)
{
    if (B == 0)
        return;
    forward_layers(s, m, X, B);
    head_apply(m, s->act[m->nlayers], B, out);
}

/*
 * Per-example loss and its derivative with respect to the last layer's z:
 * squared error (z - y)^2 -> 2 (z - y); absolute error |z - y| -> sign;
 * log loss softplus(z) - y z -> sigmoid(z) - y; cross-entropy
 * logsumexp(z) - z_y -> softmax(z) - onehot(y).
 */
static int head_backward(const mg_model *m, const double *Z, const double *y, size_t B,
                         double *delta, double *loss, double *loss_sum)
{
    size_t K = m->sizes[m->nlayers];
    double total = 0;

    for (size_t r = 0; r < B; r++) {
        double l;
        if (m->head == HEAD_IDENTITY) {
            double d = Z[r] - y[r];
            if (m->loss == MG_LOSS_MSE) {
                l = d * d;
                delta[r] = 2.0 * d;
            } else {
                l = fabs(d);
                delta[r] = (d > 0) - (d < 0);
            }
        } else if (m->head == HEAD_SIGMOID) {
            l = softplus(Z[r]) - y[r] * Z[r];
            delta[r] = sigmoid(Z[r]) - y[r];
        } else {
            const double *z = Z + r * K;
            double *d = delta + r * K, mx = z[0], sum = 0, lse;
            size_t c = (size_t)y[r];
            if (!(y[r] >= 0) || y[r] != (double)c || c >= K)
                return mg_error_set(MG_EINVAL, "model: target of row %zu (%g) is not a class"
                                               " index below %zu", r, y[r], K);
            for (size_t k = 1; k < K; k++)
                mx = z[k] > mx ? z[k] : mx;
            for (size_t k = 0; k < K; k++)
                sum += exp(z[k] - mx);
            lse = mx + log(sum);
            for (size_t k = 0; k < K; k++)
                d[k] = exp(z[k] - lse);
            d[c] -= 1.0;
            l = lse - z[c];
        }
        if (loss)
            loss[r] = l;
        total += l;
    }
    if (loss_sum)
        *loss_sum = total;
    return MG_OK;
}

/* Row b of G gets delta_b a_b^T (the layer's weight gradient) and delta_b (its bias gradient). */
static void per_example_layer(double *G, size_t P, size_t off, const double *delta,
                              const double *A, size_t B, size_t in, size_t out)
{
    for (size_t b = 0; b < B; b++) {
        double *g = G + b * P + off;
        /* A rank-1 product: K = 1, beta = 0 overwrites the slot. */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)out, (int)in, 1, 1.0,
                    delta + b * out, 1, A + b * in, (int)in, 0.0, g, (int)in);
        memcpy(g + out * in, delta + b * out, out * sizeof *g);
    }
}

/* model_backprop; X NULL: the sparse batch in s->csr (then G must be NULL). */
static int backprop(model_scratch *s, const mg_model *m, const double *X, const double *y,
                    size_t B, double *grad, double *G, double *loss, double *loss_sum)
{
    double *cur = s->delta[0], *next = s->delta[1];
    int rc;

    if (B == 0) {
        if (grad)
            memset(grad, 0, m->nparams * sizeof *grad);
        if (loss_sum)
            *loss_sum = 0;
        return MG_OK;
    }
    forward_layers(s, m, X, B);
    if ((rc = head_backward(m, s->act[m->nlayers], y, B, cur, loss, loss_sum)) < 0)
        return rc;
    for (size_t l = m->nlayers; l-- > 0;) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        const double *A = l == 0 ? X : s->act[l];
        const double *W = m->params + m->offsets[l];

        if (grad) {
            double *gW = grad + m->offsets[l];
            if (!A)
                first_grad_sparse(s, m, cur, B, gW);
            else
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)B,
                            1.0, cur, (int)out, A, (int)in, 0.0, gW, (int)in);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)B, (int)out, 1.0, cur, (int)out, s->ones,
                        1, 0.0, gW + out * in, 1);
        }
        if (G)
            per_example_layer(G, m->nparams, m->offsets[l], cur, A, B, in, out);
        if (l > 0) {
            double *t;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)out, 1.0,
                        cur, (int)out, W, (int)in, 0.0, next, (int)in);
            activate_backward(next, s->act[l], B * in, m->activation);
            t = cur;
            cur = next;
            next = t;
        }
    }
    return MG_OK;
}

int model_backprop(model_scratch *s, const mg_model *m, const double *X, const double *y,
                   size_t B, double *grad, double *G, double *loss, double *loss_sum)
{
    return backprop(s, m, X, y, B, grad, G, loss, loss_sum);
}

/* ---- the sparse first layer ---- */

double model_input_density(const double *X, size_t n, size_t width)
{
    size_t take = n < 256 ? n : 256, nnz = 0;

    if (take == 0 || width == 0)
        return 1.0;
    for (size_t i = 0; i < take; i++) {
        const double *x = X + (i * n / take) * width;
        for (size_t k = 0; k < width; k++)
            nnz += x[k] != 0.0;
    }
    return (double)nnz / ((double)take * (double)width);
}

int model_sparse_pays(const mg_model *m, const double *X, size_t n)
{
    return m->sizes[1] >= MODEL_SPARSE_MIN_WIDTH &&
           model_input_density(X, n, m->sizes[0]) < MODEL_SPARSE_DENSITY;
}

/* Room for n rows of the model's inputs, all non-zero at worst, and both transposes. */
static int reserve_csr(model_scratch *s, const mg_model *m, size_t n)
{
    model_csr *c = &s->csr;
    size_t width = m->sizes[0], cap = (n ? n : 1) * width, wn = width * m->sizes[1];
    void *p;

    if (!s->wt) {
        if (!(s->wt = malloc(wn * sizeof *s->wt)) || !(s->gwt = malloc(wn * sizeof *s->gwt)))
            return mg_error_set(MG_ENOMEM, "model: no memory for the first layer's transpose");
    }
    if (n + 1 > c->cap_rows) {
        if (!(p = realloc(c->ptr, (n + 1) * sizeof *c->ptr)))
            return mg_error_set(MG_ENOMEM, "model: no memory for a sparse batch of %zu", n);
        c->ptr = p;
        c->cap_rows = n + 1;
    }
    if (cap > c->cap) {
        if (!(p = realloc(c->col, cap * sizeof *c->col)))
            return mg_error_set(MG_ENOMEM, "model: no memory for a sparse batch of %zu", n);
        c->col = p;
        if (!(p = realloc(c->val, cap * sizeof *c->val)))
            return mg_error_set(MG_ENOMEM, "model: no memory for a sparse batch of %zu", n);
        c->val = p;
        c->cap = cap;
    }
    return MG_OK;
}

int model_csr_gather(model_scratch *s, const mg_model *m, const double *X, const size_t *rows,
                     size_t n)
{
    size_t width = m->sizes[0], nnz = 0;
    model_csr *c = &s->csr;
    int rc;

    if ((rc = reserve_csr(s, m, n)) < 0)
        return rc;
    c->ptr[0] = 0;
    for (size_t b = 0; b < n; b++) {
        const double *x = X + rows[b] * width;
        if (b + 4 < n) /* rows are scattered: start the next misses early */
            for (size_t k = 0; k < width; k += 8)
                __builtin_prefetch(X + rows[b + 4] * width + k);
        for (size_t k0 = 0; k0 < width; k0 += 8) {
            size_t end = k0 + 8 < width ? k0 + 8 : width;
            int any = 0;
            for (size_t k = k0; k < end; k++) /* one-hot rows: most blocks of 8 are all zero */
                any |= x[k] != 0.0;
            if (!any)
                continue;
            for (size_t k = k0; k < end; k++) {
                /* branch-free: write every slot, advance only past non-zeros */
                c->col[nnz] = (unsigned)k;
                c->val[nnz] = x[k];
                nnz += x[k] != 0.0;
            }
        }
        c->ptr[b + 1] = nnz;
    }
    c->rows = n;
    return MG_OK;
}

int model_backprop_csr(model_scratch *s, const mg_model *m, const double *y, size_t B,
                       double *grad, double *loss_sum)
{
    if (B > s->csr.rows || B > s->rows || !s->wt)
        return mg_error_set(MG_EINVAL, "model: the sparse batch holds %zu rows, not %zu",
                            s->csr.rows, B);
    return backprop(s, m, NULL, y, B, grad, NULL, NULL, loss_sum);
}

/* ---- per-example clipping without the B x params matrix ---- */

/* Room for every layer's delta: B x sizes[l + 1] for layer l, one after the other. */
static int reserve_deltas(model_scratch *s, const mg_model *m, size_t B)
{
    size_t total = 0;
    double *d;

    if (s->deltas && B <= s->deltas_rows)
        return MG_OK;
    for (size_t l = 1; l <= m->nlayers; l++)
        total += B * m->sizes[l];
    if (!(d = realloc(s->deltas, total * sizeof *d)))
        return mg_error_set(MG_ENOMEM, "model: no memory for the deltas of %zu rows", B);
    s->deltas = d;
    s->deltas_rows = B;
    return MG_OK;
}

/* |v|^2 with four running sums: independent chains, where one would wait on each add. */
static double sumsq(const double *v, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += v[i] * v[i];
        s1 += v[i + 1] * v[i + 1];
        s2 += v[i + 2] * v[i + 2];
        s3 += v[i + 3] * v[i + 3];
    }
    for (; i < n; i++)
        s0 += v[i] * v[i];
    return (s0 + s1) + (s2 + s3);
}

/*
 * An example's gradient in layer l is the outer product delta_b a_b^T (plus
 * delta_b for the bias), whose squared norm is |delta_b|^2 (|a_b|^2 + 1):
 * the norms come from the deltas and activations alone ("ghost norms",
 * Goodfellow 2015; Li et al. 2022). The weighted sum is then one GEMM per
 * layer on the deltas scaled row by row.
 */
int model_backprop_weighted(model_scratch *s, const mg_model *m, const double *X, const double *y,
                            size_t B, double *norms, double *w, model_weigh_fn weigh, void *ud,
                            double *grad, double *loss_sum)
{
    size_t L = m->nlayers, off[64];
    int rc;

    if (B == 0 || L > 64) {
        memset(grad, 0, m->nparams * sizeof *grad);
        if (loss_sum)
            *loss_sum = 0;
        return B == 0 ? MG_OK : mg_error_set(MG_EINVAL, "model: more than 64 layers");
    }
    if ((rc = reserve_deltas(s, m, B)) < 0)
        return rc;
    off[0] = 0;
    for (size_t l = 1; l < L; l++)
        off[l] = off[l - 1] + B * m->sizes[l];
    forward_layers(s, m, X, B);
    if ((rc = head_backward(m, s->act[L], y, B, s->deltas + off[L - 1], NULL, loss_sum)) < 0)
        return rc;
    for (size_t l = L - 1; l > 0; l--) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        double *prev = s->deltas + off[l - 1];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)out, 1.0,
                    s->deltas + off[l], (int)out, m->params + m->offsets[l], (int)in, 0.0, prev,
                    (int)in);
        activate_backward(prev, s->act[l], B * in, m->activation);
    }
    for (size_t b = 0; b < B; b++) { /* short rows: plain loops beat a BLAS call each */
        double n2 = 0;
        for (size_t l = 0; l < L; l++) {
            size_t in = m->sizes[l], out = m->sizes[l + 1];
            const double *d = s->deltas + off[l] + b * out;
            double a2;
            if (l == 0 && !X) /* |x_b|^2 from the row's non-zeros */
                a2 = sumsq(s->csr.val + s->csr.ptr[b], s->csr.ptr[b + 1] - s->csr.ptr[b]);
            else
                a2 = sumsq((l == 0 ? X : s->act[l]) + b * in, in);
            n2 += sumsq(d, out) * (a2 + 1.0); /* the 1 is the bias's input */
        }
        norms[b] = sqrt(n2);
    }
    if ((rc = weigh(ud, w, norms, B)) < 0)
        return rc;
    for (size_t l = 0; l < L; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        double *D = s->deltas + off[l], *gW = grad + m->offsets[l];
        for (size_t b = 0; b < B; b++)
            for (size_t o = 0; o < out; o++)
                D[b * out + o] *= w[b];
        if (l == 0 && !X) /* D already carries w: X_csr^T D over the non-zeros */
            first_grad_sparse(s, m, D, B, gW);
        else
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)B, 1.0,
                        D, (int)out, l == 0 ? X : s->act[l], (int)in, 0.0, gW, (int)in);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)B, (int)out, 1.0, D, (int)out, s->ones, 1,
                    0.0, gW + out * in, 1);
    }
    return MG_OK;
}

int model_backprop_weighted_csr(model_scratch *s, const mg_model *m, const double *y, size_t B,
                                double *norms, double *w, model_weigh_fn weigh, void *ud,
                                double *grad, double *loss_sum)
{
    if (B > s->csr.rows || B > s->rows || !s->wt)
        return mg_error_set(MG_EINVAL, "model: the sparse batch holds %zu rows, not %zu",
                            s->csr.rows, B);
    return model_backprop_weighted(s, m, NULL, y, B, norms, w, weigh, ud, grad, loss_sum);
}

int mg_model_weighted_grad(double *grad, double *norms, double *loss_sum, const mg_model *m,
                           const double *X, const double *y, size_t B,
                           int (*weigh)(void *ud, double *w, const double *norms, size_t B),
                           void *ud)
{
    model_scratch s = MODEL_SCRATCH_INIT;
    double *w = malloc((B ? B : 1) * sizeof *w);
    int rc;

    if (!w)
        return mg_error_set(MG_ENOMEM, "model: no memory for %zu weights", B);
    if ((rc = model_scratch_reserve(&s, m, B)) == MG_OK)
        rc = model_backprop_weighted(&s, m, X, y, B, norms, w, weigh, ud, grad, loss_sum);
    model_scratch_free(&s);
    free(w);
    return rc;
}

/* One-shot passes with their own scratch, in chunks of PREDICT_CHUNK rows. */
static int backprop_once(const mg_model *m, const double *X, const double *y, size_t B,
                         double *grad, double *G, double *loss, double *loss_sum)
{
    model_scratch s = MODEL_SCRATCH_INIT;
    int rc;

    if ((rc = model_scratch_reserve(&s, m, B)) == MG_OK)
        rc = model_backprop(&s, m, X, y, B, grad, G, loss, loss_sum);
    model_scratch_free(&s);
    return rc;
}

int mg_model_per_example_grads(const mg_model *m, const double *X, const double *y, size_t B,
                               double *G, double *loss)
{
    return backprop_once(m, X, y, B, NULL, G, loss, NULL);
}

int mg_model_batch_grad(double *grad, double *loss_sum, const mg_model *m, const double *X,
                        const double *y, size_t B)
{
    return backprop_once(m, X, y, B, grad, NULL, NULL, loss_sum);
}

int mg_model_loss(double *loss_sum, const mg_model *m, const double *X, const double *y,
                  size_t n)
{
    model_scratch s = MODEL_SCRATCH_INIT;
    size_t chunk = n < PREDICT_CHUNK ? n : PREDICT_CHUNK;
    double *delta = NULL;
    int rc;

    *loss_sum = 0;
    if ((rc = model_scratch_reserve(&s, m, chunk)) < 0)
        return rc;
    for (size_t r = 0; r < n; r += chunk) {
        size_t B = n - r < chunk ? n - r : chunk;
        double part;
        forward_layers(&s, m, X + r * m->inputs, B);
        delta = s.delta[0];
        if ((rc = head_backward(m, s.act[m->nlayers], y + r, B, delta, NULL, &part)) < 0)
            break;
        *loss_sum += part;
    }
    model_scratch_free(&s);
    return rc;
}

/* Predictions of n encoded rows: whole blocks in passes of up to PREDICT_CHUNK rows, then
 * the ragged tail padded to one block in `pad`. */
static void forward_blocks(model_scratch *s, const mg_model *m, const double *X, size_t n,
                           double *pad, double *out)
{
    size_t K = mg_model_outputs(m), d = m->inputs, full = n - n % PREDICT_BLOCK;

    for (size_t r = 0; r < full;) {
        size_t B = full - r < PREDICT_CHUNK ? full - r : PREDICT_CHUNK;
        model_forward(s, m, X + r * d, B, out + r * K);
        r += B;
    }
    if (full < n) {
        size_t B = n - full;
        memcpy(pad, X + full * d, B * d * sizeof *pad);
        memset(pad + B * d, 0, (PREDICT_BLOCK - B) * d * sizeof *pad);
        forward_layers(s, m, pad, PREDICT_BLOCK);
        head_apply(m, s->act[m->nlayers], B, out + full * K);
    }
}

/* Scratch for passes of up to n rows rounded up to a block, at most PREDICT_CHUNK. */
static int predict_scratch(model_scratch *s, double **pad, const mg_model *m, size_t n)
{
    size_t rows = n < PREDICT_CHUNK ? n + (PREDICT_BLOCK - n % PREDICT_BLOCK) % PREDICT_BLOCK
                                    : PREDICT_CHUNK;
    int rc;

    if ((rc = model_scratch_reserve(s, m, rows)) < 0)
        return rc;
    if (!(*pad = malloc(PREDICT_BLOCK * (m->inputs ? m->inputs : 1) * sizeof **pad))) {
        model_scratch_free(s);
        return mg_error_set(MG_ENOMEM, "model: no memory for a block of %d rows", PREDICT_BLOCK);
    }
    return MG_OK;
}

int mg_model_predict_encoded(const mg_model *m, const double *X, size_t n, double *out)
{
    model_scratch s = MODEL_SCRATCH_INIT;
    double *pad;
    int rc;

    if ((rc = predict_scratch(&s, &pad, m, n)) < 0)
        return rc;
    forward_blocks(&s, m, X, n, pad, out);
    free(pad);
    model_scratch_free(&s);
    return MG_OK;
}

int mg_model_predict_raw(const mg_model *m, const double *raw, size_t n, double *out)
{
    model_scratch s = MODEL_SCRATCH_INIT;
    size_t chunk = n < PREDICT_CHUNK ? n : PREDICT_CHUNK, K = mg_model_outputs(m), ninputs;
    double *X = NULL, *pad;
    int rc;

    if (!m->pipeline)
        return mg_error_set(MG_EINVAL, "model: no pipeline; predict from encoded rows");
    ninputs = mg_pipeline_inputs(m->pipeline);
    if ((rc = predict_scratch(&s, &pad, m, n)) < 0)
        return rc;
    if (!(X = malloc((chunk ? chunk : 1) * m->inputs * sizeof *X))) {
        rc = mg_error_set(MG_ENOMEM, "model: no memory to encode %zu rows", chunk);
        goto done;
    }
    for (size_t r = 0; r < n; r += chunk) {
        size_t B = n - r < chunk ? n - r : chunk;
        mg_pipeline_transform(m->pipeline, raw + r * ninputs, B, X);
        forward_blocks(&s, m, X, B, pad, out + r * K);
    }
done:
    free(X);
    free(pad);
    model_scratch_free(&s);
    return rc;
}
