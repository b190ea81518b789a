// Tests of include/tinyebm.hpp, the C++17 wrapper over the C API. Built twice
// by scripts/ci-cpp.sh: with exceptions, and with -fno-exceptions -fno-rtti
// (TINYEBM_EXCEPTIONS is then 0 and only the try_ forms exist), each plain and
// under ASan + UBSan. It checks:
//   - version(), header_version(), version_matches();
//   - span, Text, Status, Result (value_or; value() throws the status);
//   - the configs carry the C defaults; the kernel helpers (Barker included);
//   - every energy factory (Gaussian diagonal and full, polynomial, double
//     well, mixture, MLP, from weights, C callback, C++ lambdas returning a
//     float or a std::optional) against known values; lambda captures and
//     lifetime (a copied energy calls the same callable); a declining and a
//     throwing lambda become CALLBACK_ERROR;
//   - weights: save, peek, check, load, from_weights, damaged files;
//   - Sampler with all five kernels, every read-back (span and std::array),
//     the setters; Trainer (push, push_batch, update, metrics, read-backs);
//     Tempering (run, shape, ladder, read-backs);
//   - deliberate failures of every class: the right status from the try_
//     form and (with exceptions) the right Error, with the object's
//     last-error text, and the object unchanged: energies every byte,
//     samplers/trainers/tempering every byte after the header (the
//     last-error record), every byte for read-only calls;
//   - no heap: the try_ forms never call operator new (counted).
// Exit status 0 when every check passes.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

#include "tinyebm.hpp"

#include "check.h"  // CHECK, checks, failures; fixtures.h: bytes_same, quad_energy

using tinyebm::span;
using tinyebm::Status;

// ---- every operator new counted (the try_ forms must not allocate) ----
static unsigned long allocations;
void *operator new(std::size_t n) {
    allocations++;
    void *p = std::malloc(n ? n : 1);
    if (!p) std::abort();
    return p;
}
void *operator new[](std::size_t n) { return operator new(n); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }

#define EXPECT_ST(call, want)                                                                       \
    do {                                                                                            \
        Status got_ = (call);                                                                       \
        checks++;                                                                                   \
        if (got_.code() != (want)) {                                                                \
            failures++;                                                                             \
            std::fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, #call, \
                         static_cast<int>(got_.code()), static_cast<int>(want), #want);             \
        }                                                                                           \
    } while (0)

#if TINYEBM_EXCEPTIONS
// The detail of the last Error caught by EXPECT_THROW.
static tinyebm::Message thrown_detail;
#define EXPECT_THROW(stmt, want)                                                                    \
    do {                                                                                            \
        checks++;                                                                                   \
        bool thrown_ = false;                                                                       \
        thrown_detail = tinyebm::Message{};                                                         \
        try {                                                                                       \
            stmt;                                                                                   \
        } catch (const tinyebm::Error &e_) {                                                        \
            thrown_ = true;                                                                         \
            std::snprintf(thrown_detail.data, sizeof thrown_detail.data, "%s", e_.detail());        \
            if (e_.status() != (want)) {                                                            \
                failures++;                                                                         \
                std::fprintf(stderr, "%s:%d: %s threw %d (%s), expected %s\n", __FILE__, __LINE__, #stmt, \
                             static_cast<int>(e_.status().code()), e_.what(), #want);               \
            }                                                                                       \
        }                                                                                           \
        if (!thrown_) {                                                                             \
            failures++;                                                                             \
            std::fprintf(stderr, "%s:%d: %s did not throw\n", __FILE__, __LINE__, #stmt);           \
        }                                                                                           \
    } while (0)
#endif

template <class T> static bool same_bytes(const T &a, const T &b) { return bytes_same(&a, &b, sizeof a); }
// The same model in two energy objects: every byte after the 16-byte header
// (tag, kind, identity — each init gives an energy a new identity — and a
// reserved word).
[[maybe_unused]] static bool same_model(const TebmEnergy &a, const TebmEnergy &b) {
    return bytes_same(a.opaque + 16, b.opaque + 16, sizeof a - 16);
}
// Every byte after the header (type tag and last-error record).
template <class T> static bool same_state(const T &a, const T &b) { return state_bytes_same(&a, &b, sizeof a); }
static bool approx(float a, float b, float tol = 1e-5f) { return std::fabs(a - b) <= tol * (1.0f + std::fabs(b)); }

// ---- objects (static: a sampler is 62 KB) ----
static tinyebm::Energy e_never;  // never initialised
static tinyebm::Energy e2, e3, e_full, e_poly, e_dw, e_mix, e_mlp, e_mlp2, e_cb, e_lambda, e_opt, e_copy, e_tmp,
    e_before;
static tinyebm::Sampler s, s_copy, s_before, s_empty;
static tinyebm::Trainer tr, tr_before;
static tinyebm::Tempering rx, rx_before;
static uint8_t file[4096], damaged[4096];
static size_t nfile;
static float mlp_params[4 * (2 + 4 + 3) + 1];

static const float zeros2[2] = {0.0f, 0.0f};
static const float ones2[2] = {1.0f, 1.0f};

static void test_basics() {
    CHECK(std::strcmp(tinyebm::version(), tinyebm::header_version()) == 0);
    CHECK(tinyebm::version_matches());
    char want[32];
    std::snprintf(want, sizeof want, "%d.%d.%d", TEBM_VERSION_MAJOR, TEBM_VERSION_MINOR, TEBM_VERSION_PATCH);
    CHECK(std::strcmp(tinyebm::header_version(), want) == 0);

    float a[3] = {1, 2, 3};
    std::array<float, 4> b{};
    span<float> sa(a);
    span<const float> sb(b), sc = sa;
    CHECK(sa.size() == 3 && sa.data() == a && sb.size() == 4 && sc.data() == a);
    CHECK(sa.first(2).size() == 2 && sa.subspan(1, 2)[0] == 2.0f && !sa.empty() && span<float>().empty());
    float sum = 0;
    for (float v : sa) sum += v;
    CHECK(sum == 6.0f);

    Status ok, bad = TEBM_STATUS_CHECKSUM;
    CHECK(ok.ok() && !bad.ok() && bad == TEBM_STATUS_CHECKSUM && bad != ok);
    CHECK(std::strcmp(bad.message().c_str(), "checksum mismatch") == 0);
    tinyebm::Result<int> r(TEBM_STATUS_BAD_CONFIG, 0), g(TEBM_STATUS_OK, 5);
    CHECK(!r.ok() && !r && r.status() == TEBM_STATUS_BAD_CONFIG && r.value_or(7) == 7);
    CHECK(g.ok() && g.has_value() && g.value() == 5 && *g == 5);
#if TINYEBM_EXCEPTIONS
    EXPECT_THROW((void)r.value(), TEBM_STATUS_BAD_CONFIG);
#endif

    // Configs: the C defaults.
    tinyebm::SamplerConfig sc_;
    TebmSamplerConfig c;
    (void)tebm_sampler_config_default(&c);
    CHECK(sc_.kernel.kind == c.kernel.kind && sc_.kernel.step_size == c.kernel.step_size &&
          sc_.kernel.leapfrog_steps == c.kernel.leapfrog_steps && sc_.n_walkers == c.n_walkers &&
          sc_.seed == c.seed && sc_.beta == c.beta && sc_.init_sd == c.init_sd && sc_.kernel.mass == nullptr);
    tinyebm::TrainerConfig tc;
    TebmTrainerConfig t;
    (void)tebm_trainer_config_default(&t);
    CHECK(tc.kernel.kind == t.kernel.kind && tc.n_walkers == t.n_walkers && tc.batch_size == t.batch_size &&
          tc.optimizer == t.optimizer && tc.learning_rate == t.learning_rate && tc.adam_eps == t.adam_eps);
    tinyebm::TemperingConfig xc;
    TebmTemperingConfig x;
    (void)tebm_tempering_config_default(&x);
    CHECK(xc.kernel.kind == x.kernel.kind && xc.replicas == x.replicas && xc.beta_min == x.beta_min &&
          xc.n_walkers == x.n_walkers);
    constexpr tinyebm::KernelConfig kb = tinyebm::kernel::barker(0.5f);
    static_assert(kb.kind == TEBM_KERNEL_BARKER, "barker");
    constexpr tinyebm::KernelConfig kn = tinyebm::kernel::nuts(0.2f, 6);
    static_assert(kn.kind == TEBM_KERNEL_NUTS && kn.max_tree_depth == 6 && kn.step_jitter == 0.0f, "nuts");
    constexpr tinyebm::KernelConfig kp = tinyebm::kernel::pmala(0.2f);
    static_assert(kp.kind == TEBM_KERNEL_PMALA && kp.mass == nullptr, "pmala");
    CHECK(tinyebm::kernel::hmc(0.1f, 7).leapfrog_steps == 7 && tinyebm::kernel::ula(0.01f).kind == TEBM_KERNEL_ULA &&
          tinyebm::kernel::mh(1.0f).kind == TEBM_KERNEL_MH && tinyebm::kernel::mala(0.2f).step_size == 0.2f);
    CHECK(tinyebm::polynomial_num_coefficients(2, 2) == 6 && tinyebm::mlp_num_params(2, 4) == 37);
}

// The dimension of an empty (default-constructed) energy.
static tinyebm::Result<size_t> e_empty_dim() {
    static tinyebm::Energy empty;
    return empty.try_dim();
}

// A C++ callable with captured state: U = scale/2 |x|^2; counts its calls.
struct Counter {
    int calls = 0;
};

static void test_energies() {
    // Gaussian, diagonal: U(0) = 1/2 (2·1 + 4·4) = 9, ∇U = P(x − μ).
    const float mean[2] = {1.0f, 2.0f}, prec[2] = {2.0f, 4.0f};
    EXPECT_ST(e2.try_init_gaussian_diag(mean, prec), TEBM_STATUS_OK);
    CHECK(e2.try_dim().value_or(0) == 2);
    float grad[2] = {0, 0};
    tinyebm::Result<float> u = e2.try_eval(zeros2, grad);
    CHECK(u.ok() && approx(*u, 9.0f) && approx(grad[0], -2.0f) && approx(grad[1], -8.0f));
    CHECK(approx(e2.try_eval({1.0f, 2.0f}).value_or(-1), 0.0f));
    // Gaussian, full: x = (1, 1), P = [[2, .5], [.5, 1]]: U = 2.
    const float pfull[4] = {2.0f, 0.5f, 0.5f, 1.0f};
    EXPECT_ST(e_full.try_init_gaussian_full(zeros2, pfull), TEBM_STATUS_OK);
    CHECK(approx(e_full.try_eval(ones2).value_or(-1), 2.0f));
    // Polynomial 1-D degree 2, θ = (0, 0, 1): U(3) = 9.
    const float coef[3] = {0.0f, 0.0f, 1.0f};
    EXPECT_ST(e_poly.try_init_polynomial(1, 2, coef), TEBM_STATUS_OK);
    CHECK(approx(e_poly.try_eval({3.0f}).value_or(-1), 9.0f));
    // Double well a (x² − 1)²: U(0) = a, U(1) = 0.
    EXPECT_ST(e_dw.try_init_double_well(2.0f), TEBM_STATUS_OK);
    CHECK(approx(e_dw.try_eval({0.0f}).value_or(-1), 2.0f) && approx(e_dw.try_eval({1.0f}).value_or(-1), 0.0f));
    // Mixture of N(−1, 1) and N(1, 1), equal weights: symmetric.
    const float w[2] = {1.0f, 1.0f}, mu[2] = {-1.0f, 1.0f}, sd[2] = {1.0f, 1.0f};
    EXPECT_ST(e_mix.try_init_mixture(1, w, mu, sd), TEBM_STATUS_OK);
    tinyebm::Result<float> ul = e_mix.try_eval({0.7f}), ur = e_mix.try_eval({-0.7f});
    CHECK(ul.ok() && ur.ok() && std::isfinite(*ul) && approx(*ul, *ur));
    // MLP 2 → 4 → 4 → 1 with zero weights: U = α/2 |x|².
    EXPECT_ST(e_mlp.try_init_mlp(2, 4, TEBM_ACTIVATION_TANH, 1.0f, mlp_params), TEBM_STATUS_OK);
    CHECK(approx(e_mlp.try_eval(ones2).value_or(-1), 1.0f));
    // A C callback.
    EXPECT_ST(e_cb.try_init_callback(2, quad_energy, nullptr), TEBM_STATUS_OK);
    CHECK(approx(e_cb.try_eval(ones2).value_or(-1), 1.0f));

    // A lambda with captures (by reference: they live in this frame, as the
    // energy's use does).
    Counter counter;
    float scale = 3.0f;
    auto quad = [&counter, &scale](span<const float> x, span<float> g) {
        counter.calls++;
        float v = 0.0f;
        for (size_t i = 0; i < x.size(); i++) {
            v += 0.5f * scale * x[i] * x[i];
            if (!g.empty()) g[i] = scale * x[i];
        }
        return v;
    };
    EXPECT_ST(e_lambda.try_init_callback(2, quad), TEBM_STATUS_OK);
    CHECK(approx(e_lambda.try_eval(ones2, grad).value_or(-1), 3.0f) && approx(grad[1], 3.0f) && counter.calls == 1);
    scale = 1.0f;  // the energy calls the callable itself: it sees the change
    CHECK(approx(e_lambda.try_eval(ones2).value_or(-1), 1.0f) && counter.calls == 2);
    e_copy = e_lambda;  // a copy holds the same pointer: the same callable
    CHECK(approx(e_copy.try_eval(ones2).value_or(-1), 1.0f) && counter.calls == 3);
    CHECK(same_bytes(*e_copy.raw(), *e_lambda.raw()));

    // A lambda returning std::optional: std::nullopt declines the point.
    auto half = [](span<const float> x, span<float> g) -> std::optional<float> {
        if (x[0] > 1.5f) return std::nullopt;
        if (!g.empty()) g[0] = x[0];
        return 0.5f * x[0] * x[0];
    };
    EXPECT_ST(e_opt.try_init_callback(1, half), TEBM_STATUS_OK);
    CHECK(approx(e_opt.try_eval({1.0f}).value_or(-1), 0.5f));
    EXPECT_ST(e_opt.try_eval({2.0f}).status(), TEBM_STATUS_CALLBACK_ERROR);

    // Failing inits: the status, and the energy unchanged (every byte).
    e_tmp = e2;
    e_before = e_tmp;
    const float zero_prec[2] = {0.0f, 0.0f}, prec3[3] = {1, 1, 1};
    EXPECT_ST(e_tmp.try_init_gaussian_diag(zeros2, zero_prec), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_ST(e_tmp.try_init_gaussian_diag(zeros2, prec3), TEBM_STATUS_BAD_DIMENSION);  // the wrapper's check
    EXPECT_ST(e_tmp.try_init_gaussian_full(zeros2, ones2), TEBM_STATUS_BAD_DIMENSION);
    const float singular[4] = {1, 1, 1, 1};
    EXPECT_ST(e_tmp.try_init_gaussian_full(zeros2, singular), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_ST(e_tmp.try_init_polynomial(1, 2, span<const float>(coef, 2)), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e_tmp.try_init_double_well(-1.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_ST(e_tmp.try_init_mixture(1, w, mu, zero_prec), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_ST(e_tmp.try_init_mixture(2, w, mu, sd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e_tmp.try_init_mlp(2, 4, TEBM_ACTIVATION_SILU, 1.0f, span<const float>(mlp_params, 36)),
              TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e_tmp.try_init_mlp(2, TEBM_MAX_HIDDEN + 1, TEBM_ACTIVATION_SILU, 1.0f, mlp_params),
              TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_ST(e_tmp.try_init_callback(0, quad), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e_tmp.try_init_callback(2, nullptr, nullptr), TEBM_STATUS_NULL_POINTER);
    EXPECT_ST(e_tmp.try_init_from_weights(span<const uint8_t>(file, 3)), TEBM_STATUS_CORRUPT_DATA);  // zeros
    CHECK(same_bytes(*e_tmp.raw(), *e_before.raw()));
    // Evaluation errors: from C (x's length) and from the wrapper (grad's).
    EXPECT_ST(e2.try_eval({1.0f, 2.0f, 3.0f}).status(), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e2.try_eval(ones2, span<float>(grad, 1)).status(), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(e_empty_dim().status(), TEBM_STATUS_NOT_INITIALISED);

#if TINYEBM_EXCEPTIONS
    // Throwing forms: factories and in-place inits.
    tinyebm::Energy g = tinyebm::Energy::gaussian_diag(mean, prec);
    CHECK(same_model(*g.raw(), *e2.raw()));
    CHECK(approx(g.eval(zeros2), 9.0f) && g.dim() == 2);
    CHECK(approx(tinyebm::Energy::gaussian_full(zeros2, pfull).eval(ones2), 2.0f));
    CHECK(approx(tinyebm::Energy::polynomial(1, 2, coef).eval({3.0f}), 9.0f));
    CHECK(approx(tinyebm::Energy::double_well(2.0f).eval({0.0f}), 2.0f));
    CHECK(approx(tinyebm::Energy::mixture(1, w, mu, sd).eval({0.7f}), *ul));
    CHECK(approx(tinyebm::Energy::mlp(2, 4, TEBM_ACTIVATION_SOFTPLUS, 1.0f, mlp_params).eval(ones2), 1.0f));
    CHECK(approx(tinyebm::Energy::callback(2, quad_energy, nullptr).eval(ones2), 1.0f));
    CHECK(approx(tinyebm::Energy::callback(2, quad).eval(ones2), 1.0f));
    EXPECT_THROW(tinyebm::Energy::double_well(0.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_THROW(tinyebm::Energy::gaussian_diag(zeros2, prec3), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_THROW(e_tmp.init_double_well(-1.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_THROW(e_tmp.init_mixture(1, w, mu, zero_prec), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_THROW(e_tmp.init_callback(0, quad), TEBM_STATUS_BAD_DIMENSION);
    CHECK(same_bytes(*e_tmp.raw(), *e_before.raw()));
    EXPECT_THROW(e_opt.eval({2.0f}), TEBM_STATUS_CALLBACK_ERROR);
    EXPECT_THROW(e2.eval({1.0f}), TEBM_STATUS_BAD_DIMENSION);
    try {
        tinyebm::Energy::double_well(-1.0f);
        CHECK(false);
    } catch (const std::exception &ex) {  // an Error is a std::runtime_error
        CHECK(std::strstr(ex.what(), "tebm_energy_init_double_well: invalid model parameters") != nullptr);
    }
    // An exception thrown by the callable is caught in the trampoline: the
    // point is declined (CALLBACK_ERROR), nothing unwinds through tinyebm.
    auto thrower = [](span<const float> x, span<float>) -> float {
        if (x[0] > 0.0f) throw std::runtime_error("no");
        return 0.0f;
    };
    tinyebm::Energy et = tinyebm::Energy::callback(1, thrower);
    CHECK(et.try_eval({-1.0f}).ok());
    EXPECT_ST(et.try_eval({1.0f}).status(), TEBM_STATUS_CALLBACK_ERROR);
    EXPECT_THROW(et.eval({1.0f}), TEBM_STATUS_CALLBACK_ERROR);
#endif
}

static void test_weights() {
    for (size_t i = 0; i < sizeof mlp_params / sizeof mlp_params[0]; i++)
        mlp_params[i] = 0.05f * static_cast<float>(static_cast<int>(i % 5) - 2);
    EXPECT_ST(e_mlp2.try_init_mlp(2, 4, TEBM_ACTIVATION_TANH, 0.5f, mlp_params), TEBM_STATUS_OK);
    tinyebm::Result<size_t> need = e_mlp2.try_weights_size();
    tinyebm::Result<size_t> wrote = e_mlp2.try_save(file);
    CHECK(need.ok() && wrote.ok() && *need == *wrote && *wrote > 20);
    nfile = *wrote;
    span<const uint8_t> bytes(file, nfile);
    tinyebm::Result<tinyebm::WeightsHeader> h = tinyebm::try_weights_peek(bytes);
    CHECK(h.ok() && h->kind == TEBM_ENERGY_KIND_MLP && h->dim == 2 && h->hidden == 4 && h->encoded_len == nfile);
    tinyebm::Message reason;
    EXPECT_ST(tinyebm::weights_check(bytes, &reason), TEBM_STATUS_OK);
    CHECK(reason.empty());
    EXPECT_ST(e_tmp.try_init_from_weights(bytes), TEBM_STATUS_OK);
    CHECK(e_tmp.try_eval(ones2).value_or(-1) == e_mlp2.try_eval(ones2).value_or(-2));
    EXPECT_ST(e_mlp.try_load(bytes), TEBM_STATUS_OK);  // same kind, other weights: now equal
    CHECK(e_mlp.try_eval(ones2).value_or(-1) == e_mlp2.try_eval(ones2).value_or(-2));
    EXPECT_ST(e_mlp2.try_save(span<uint8_t>(damaged, nfile - 1)).status(), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(e_cb.try_weights_size().status(), TEBM_STATUS_BAD_CONFIG);

    // Damaged files: refused, the energy unchanged.
    std::memcpy(damaged, file, nfile);
    damaged[nfile - 20] ^= 0x01;
    e_before = e_mlp;
    EXPECT_ST(tinyebm::weights_check(span<const uint8_t>(damaged, nfile), &reason), TEBM_STATUS_CHECKSUM);
    CHECK(std::strstr(reason.c_str(), "checksum") != nullptr);
    EXPECT_ST(e_mlp.try_load(span<const uint8_t>(damaged, nfile)), TEBM_STATUS_CHECKSUM);
    EXPECT_ST(e_mlp.try_load(span<const uint8_t>(file, nfile - 1)), TEBM_STATUS_TRUNCATED);
    EXPECT_ST(e_mlp.try_init_from_weights(span<const uint8_t>(damaged, nfile)), TEBM_STATUS_CHECKSUM);
    EXPECT_ST(e_cb.try_load(bytes), TEBM_STATUS_BAD_CONFIG);
    CHECK(same_bytes(*e_mlp.raw(), *e_before.raw()));
#if TINYEBM_EXCEPTIONS
    CHECK(tinyebm::Energy::from_weights(bytes).eval(ones2) == e_mlp2.eval(ones2));
    CHECK(e_mlp2.weights_size() == nfile && e_mlp2.save(file) == nfile && tinyebm::weights_peek(bytes).dim == 2);
    EXPECT_THROW(tinyebm::Energy::from_weights(span<const uint8_t>(damaged, nfile)), TEBM_STATUS_CHECKSUM);
    CHECK(std::strstr(thrown_detail.c_str(), "checksum") != nullptr);  // tebm_weights_check's reason
    EXPECT_THROW(e_mlp.load(span<const uint8_t>(file, nfile - 1)), TEBM_STATUS_TRUNCATED);
    CHECK(!thrown_detail.empty());
    EXPECT_THROW(tinyebm::weights_peek(span<const uint8_t>(file, 3)), TEBM_STATUS_TRUNCATED);
    CHECK(same_bytes(*e_mlp.raw(), *e_before.raw()));
    e_mlp.load(bytes);
#endif
}

static void test_sampler() {
    const TebmKernel kernels[TEBM_KERNEL_COUNT] = {TEBM_KERNEL_ULA, TEBM_KERNEL_MALA, TEBM_KERNEL_MH, TEBM_KERNEL_HMC,
                                                   TEBM_KERNEL_BARKER, TEBM_KERNEL_NUTS, TEBM_KERNEL_PMALA};
    tinyebm::SamplerConfig cfg;
    cfg.n_walkers = 8;
    for (TebmKernel k : kernels) {
        cfg.kernel = tinyebm::kernel::make(k, k == TEBM_KERNEL_ULA ? 0.05f : 0.3f, 5);
        EXPECT_ST(s.try_init(e2, cfg), TEBM_STATUS_OK);
        EXPECT_ST(s.try_run(e2, 200), TEBM_STATUS_OK);
        tinyebm::Result<tinyebm::SamplerStats> st = s.try_stats();
        CHECK(st.ok() && st->steps == 200 && st->n_walkers == 8 && st->dim == 2);
        CHECK(st->acceptance_rate > 0.1 && st->acceptance_rate <= 1.0);
        // The ensemble sits around the mean (1, 2).
        tinyebm::Result<std::array<double, 2>> m = s.try_diagnostic<2>(TEBM_DIAGNOSTIC_MEAN);
        CHECK(m.ok() && std::fabs((*m)[0] - 1.0) < 0.5 && std::fabs((*m)[1] - 2.0) < 0.5);
    }
    // Barker, adapting: the step size moves.
    cfg.kernel = tinyebm::kernel::barker(0.05f);
    cfg.adapt = 1;
    EXPECT_ST(s.try_init(e2, cfg), TEBM_STATUS_OK);
    size_t done = 0;
    EXPECT_ST(s.try_run(e2, 300, &done), TEBM_STATUS_OK);
    CHECK(done == 300);
    CHECK(s.try_stats()->adapting == 1 && s.try_stats()->step_size != 0.05f);
    EXPECT_ST(s.try_freeze_step_size(), TEBM_STATUS_OK);
    CHECK(s.try_stats()->adapting == 0);
    EXPECT_ST(s.try_start_adaptation(0.5f), TEBM_STATUS_OK);
    CHECK(s.try_stats()->adapting == 1);
    EXPECT_ST(s.try_freeze_step_size(), TEBM_STATUS_OK);
    EXPECT_ST(s.try_set_step_size(0.25f), TEBM_STATUS_OK);
    EXPECT_ST(s.try_set_beta(2.0f), TEBM_STATUS_OK);
    CHECK(s.try_stats()->step_size == 0.25f && s.try_stats()->beta == 2.0f);
    EXPECT_ST(s.try_reset_diagnostics(), TEBM_STATUS_OK);
    CHECK(s.try_stats()->draws == 0);
    EXPECT_ST(s.try_invalidate(), TEBM_STATUS_OK);
    EXPECT_ST(s.try_run(e2, 10), TEBM_STATUS_OK);

    // Read-backs: spans and arrays agree; energies are U at the positions.
    float pos[16], en[8], prob[8];
    uint8_t acc[8];
    double var[2];
    EXPECT_ST(s.try_positions(pos), TEBM_STATUS_OK);
    tinyebm::Result<std::array<float, 16>> pa = s.try_positions<16>();
    CHECK(pa.ok() && std::memcmp(pa->data(), pos, sizeof pos) == 0);
    EXPECT_ST(s.try_energies(en), TEBM_STATUS_OK);
    CHECK(s.try_energies<8>().ok() && std::memcmp(s.try_energies<8>()->data(), en, sizeof en) == 0);
    bool energies_ok = true;
    for (size_t w = 0; w < 8; w++)
        energies_ok &= approx(e2.try_eval(span<const float>(pos + 2 * w, 2)).value_or(-1), en[w], 1e-4f);
    CHECK(energies_ok);
    EXPECT_ST(s.try_last_accepted(acc, prob), TEBM_STATUS_OK);
    bool acc_ok = true;
    for (size_t w = 0; w < 8; w++) acc_ok &= acc[w] <= 1 && prob[w] >= 0.0f && prob[w] <= 1.0f;
    CHECK(acc_ok);
    EXPECT_ST(s.try_last_accepted(acc), TEBM_STATUS_OK);
    EXPECT_ST(s.try_diagnostic(TEBM_DIAGNOSTIC_VARIANCE, var), TEBM_STATUS_OK);
    CHECK(s.try_diagnostic<2>(TEBM_DIAGNOSTIC_ESS).ok() && s.try_diagnostic<2>(TEBM_DIAGNOSTIC_RHAT).ok());

    // A copy is a sampler of its own with the same state: the same draws.
    s_copy = s;
    EXPECT_ST(s.try_run(e2, 20), TEBM_STATUS_OK);
    EXPECT_ST(s_copy.try_run(e2, 20), TEBM_STATUS_OK);
    CHECK(same_bytes(*s_copy.raw(), *s.raw()));

    // Deliberate failures: the status, the state unchanged, the message.
    s_before = s;
    EXPECT_ST(s.try_set_step_size(-1.0f), TEBM_STATUS_BAD_CONFIG);
    CHECK(!s.last_error().empty());
    EXPECT_ST(s.try_set_beta(0.0f), TEBM_STATUS_BAD_CONFIG);
    EXPECT_ST(s.try_run(e3, 1), TEBM_STATUS_BAD_DIMENSION);  // a 3-D energy
    tinyebm::SamplerConfig bad;
    bad.n_walkers = TEBM_MAX_WALKERS + 1;
    EXPECT_ST(s.try_init(e2, bad), TEBM_STATUS_CAPACITY_EXCEEDED);
    bad.n_walkers = 4;
    bad.beta = -1.0f;
    EXPECT_ST(s.try_init(e2, bad), TEBM_STATUS_BAD_CONFIG);
    CHECK(same_state(*s.raw(), *s_before.raw()));
    s_before = s;  // read-only calls: only the last-error record changes
    EXPECT_ST(s.try_positions(span<float>(pos, 15)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(s.try_energies(span<float>(en, 7)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(s.try_last_accepted(acc, span<float>(prob, 7)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(s.try_diagnostic(TEBM_DIAGNOSTIC_MEAN, span<double>(var, 1)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(s.try_positions<15>().status(), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(same_state(*s.raw(), *s_before.raw()));
    EXPECT_ST(s_empty.try_stats().status(), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_ST(s_empty.try_run(e2, 1), TEBM_STATUS_NOT_INITIALISED);

    // A lambda energy: declined points are rejections (MALA) ...
    float wall = 1.5f;
    auto walled = [&wall](span<const float> x, span<float> g) -> std::optional<float> {
        if (x[0] > wall) return std::nullopt;
        for (size_t i = 0; i < x.size(); i++)
            if (!g.empty()) g[i] = x[i];
        return 0.5f * (x[0] * x[0] + x[1] * x[1]);
    };
    tinyebm::Energy &ew = e_tmp;
    EXPECT_ST(ew.try_init_callback(2, walled), TEBM_STATUS_OK);
    cfg = tinyebm::SamplerConfig();
    cfg.n_walkers = 16;
    cfg.init_sd = 0.1f;
    cfg.kernel = tinyebm::kernel::mala(0.5f);
    EXPECT_ST(s.try_init(ew, cfg), TEBM_STATUS_OK);
    EXPECT_ST(s.try_run(ew, 300), TEBM_STATUS_OK);
    EXPECT_ST(s.try_positions(span<float>(pos, 16)), TEBM_STATUS_BUFFER_TOO_SMALL);
    std::array<float, 32> p16{};
    EXPECT_ST(s.try_positions(p16), TEBM_STATUS_OK);
    bool walled_ok = true;
    for (size_t w = 0; w < 16; w++) walled_ok &= p16[2 * w] <= wall;
    CHECK(walled_ok);
    // ... and an error for ULA, the positions unchanged.
    wall = 100.0f;
    cfg.kernel = tinyebm::kernel::ula(0.05f);
    EXPECT_ST(s.try_init(ew, cfg), TEBM_STATUS_OK);
    EXPECT_ST(s.try_run(ew, 5), TEBM_STATUS_OK);
    std::array<float, 32> before{};
    EXPECT_ST(s.try_positions(before), TEBM_STATUS_OK);
    wall = -100.0f;  // every point declined from now on
    EXPECT_ST(s.try_invalidate(), TEBM_STATUS_OK);
    EXPECT_ST(s.try_run(ew, 1), TEBM_STATUS_CALLBACK_ERROR);
    CHECK(!s.last_error().empty());
    EXPECT_ST(s.try_positions(p16), TEBM_STATUS_OK);
    CHECK(p16 == before);
    wall = 100.0f;
    EXPECT_ST(s.try_run(ew, 1), TEBM_STATUS_OK);

#if TINYEBM_EXCEPTIONS
    // Throwing forms.
    cfg = tinyebm::SamplerConfig();
    cfg.n_walkers = 8;
    cfg.kernel = tinyebm::kernel::hmc(0.2f, 5);
    s.init(e2, cfg);
    s.run(e2, 50);
    CHECK(s.stats().steps == 50 && s.positions<16>().size() == 16 && s.energies<8>()[0] >= 0.0f);
    s.positions(pos);
    s.energies(en);
    s.last_accepted(acc, prob);
    s.diagnostic(TEBM_DIAGNOSTIC_MEAN, var);
    CHECK(s.diagnostic<2>(TEBM_DIAGNOSTIC_VARIANCE)[0] >= 0.0);
    s.set_step_size(0.1f);
    s.set_beta(1.0f);
    s.start_adaptation();
    s.freeze_step_size();
    s.reset_diagnostics();
    s.invalidate();
    s_before = s;
    EXPECT_THROW(s.set_step_size(-1.0f), TEBM_STATUS_BAD_CONFIG);
    CHECK(!thrown_detail.empty() && std::strcmp(thrown_detail.c_str(), s.last_error().c_str()) == 0);
    EXPECT_THROW(s.run(e3, 1), TEBM_STATUS_BAD_DIMENSION);
    CHECK(std::strcmp(thrown_detail.c_str(), s.last_error().c_str()) == 0);
    EXPECT_THROW(s.init(e2, bad), TEBM_STATUS_BAD_CONFIG);
    CHECK(same_state(*s.raw(), *s_before.raw()));
    EXPECT_THROW(s.positions<15>(), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(thrown_detail.empty() && !s.last_error().empty());  // read-only: the older record is not reported
    EXPECT_THROW(s.run(e_never, 1), TEBM_STATUS_NOT_INITIALISED);  // refused before the sampler is reached
    CHECK(thrown_detail.empty());
    EXPECT_THROW(s.set_beta(-1.0f), TEBM_STATUS_BAD_CONFIG);
    CHECK(!thrown_detail.empty() && std::strstr(thrown_detail.c_str(), "tebm_sampler_set_beta") != nullptr);
    EXPECT_THROW(s_empty.stats(), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_THROW(static tinyebm::Sampler s_bad(e2, bad), TEBM_STATUS_BAD_CONFIG);
#endif
}

static void test_trainer() {
    const float mean[2] = {0.0f, 0.0f}, prec[2] = {1.0f, 1.0f};
    tinyebm::Energy &eg = e_tmp;
    EXPECT_ST(eg.try_init_gaussian_diag(mean, prec), TEBM_STATUS_OK);
    tinyebm::TrainerConfig tc;
    tc.n_walkers = 8;
    tc.batch_size = 4;
    tc.kernel = tinyebm::kernel::mala(0.1f);
    tc.learning_rate = 0.01f;
    EXPECT_ST(tr.try_init(eg, tc), TEBM_STATUS_OK);
    const float pts[8 * 2] = {1, 2, 1.5f, 2, 0.5f, 1.5f, 1, 2.5f, 1, 2, 1.2f, 1.8f, 0.8f, 2.2f, 1, 2};
    bool updated = true;
    for (size_t i = 0; i < 3; i++) {
        EXPECT_ST(tr.try_push(eg, span<const float>(pts + 2 * i, 2), &updated), TEBM_STATUS_OK);
        CHECK(!updated);
    }
    EXPECT_ST(tr.try_push(eg, span<const float>(pts + 6, 2), &updated), TEBM_STATUS_OK);
    CHECK(updated);
    size_t updates = 0;
    EXPECT_ST(tr.try_push_batch(eg, pts, 2, &updates), TEBM_STATUS_OK);
    CHECK(updates == 2);
    tinyebm::Result<tinyebm::TrainerMetrics> m = tr.try_metrics();
    CHECK(m.ok() && m->updates == 3 && m->batch_len == 0 && m->n_walkers == 8 && m->dim == 2 && m->num_params == 4);
    CHECK(std::isfinite(m->gap) && std::isfinite(m->grad_norm));
    EXPECT_ST(tr.try_update(eg), TEBM_STATUS_BAD_DIMENSION);  // nothing collected
    EXPECT_ST(tr.try_push(eg, {1.0f, 2.0f}), TEBM_STATUS_OK);
    EXPECT_ST(tr.try_update(eg), TEBM_STATUS_OK);
    EXPECT_ST(tr.try_set_learning_rate(0.02f), TEBM_STATUS_OK);
    CHECK(tr.try_metrics()->learning_rate == 0.02f && tr.try_metrics()->updates == 4);
    float pos[16], en[8];
    EXPECT_ST(tr.try_positions(pos), TEBM_STATUS_OK);
    EXPECT_ST(tr.try_energies(en), TEBM_STATUS_OK);
    CHECK(tr.try_positions<16>().ok() && std::memcmp(tr.try_positions<16>()->data(), pos, sizeof pos) == 0);
    CHECK(tr.try_energies<8>().ok() && std::isfinite((*tr.try_energies<8>())[0]));
    EXPECT_ST(tr.try_invalidate(), TEBM_STATUS_OK);

    // Deliberate failures: the trainer's state and the energy unchanged.
    tr_before = tr;
    e_before = eg;
    const float nan_pt[2] = {NAN, 0.0f};
    EXPECT_ST(tr.try_push(eg, nan_pt), TEBM_STATUS_NON_FINITE);
    CHECK(!tr.last_error().empty());
    EXPECT_ST(tr.try_push(eg, {1.0f, 2.0f, 3.0f}), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(tr.try_push_batch(eg, span<const float>(pts, 3), 2), TEBM_STATUS_BAD_DIMENSION);  // wrapper
    EXPECT_ST(tr.try_push_batch(eg, pts, 0), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_ST(tr.try_set_learning_rate(-1.0f), TEBM_STATUS_BAD_CONFIG);
    EXPECT_ST(tr.try_init(e_cb, tc), TEBM_STATUS_BAD_CONFIG);  // a callback energy is not trainable
    CHECK(same_state(*tr.raw(), *tr_before.raw()));
    CHECK(same_bytes(*eg.raw(), *e_before.raw()));
    tr_before = tr;  // read-only calls: only the last-error record changes
    EXPECT_ST(tr.try_positions(span<float>(pos, 15)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(tr.try_energies<7>().status(), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(same_state(*tr.raw(), *tr_before.raw()));

#if TINYEBM_EXCEPTIONS
    tr.init(e_mlp2, tc);
    size_t ups = 0;
    for (size_t i = 0; i < 8; i++) ups += tr.push(e_mlp2, span<const float>(pts + 2 * i, 2)) ? 1 : 0;
    CHECK(ups == 2);
    CHECK(tr.push_batch(e_mlp2, pts, 2) == 2);
    (void)tr.push(e_mlp2, {1.0f, 1.0f});
    tr.update(e_mlp2);
    tr.set_learning_rate(0.001f);
    CHECK(tr.metrics().updates == 5 && tr.positions<16>().size() == 16 && tr.energies<8>().size() == 8);
    tr.positions(pos);
    tr.energies(en);
    tr.invalidate();
    tr_before = tr;
    e_before = e_mlp2;
    EXPECT_THROW(tr.push(e_mlp2, nan_pt), TEBM_STATUS_NON_FINITE);
    CHECK(!thrown_detail.empty() && std::strcmp(thrown_detail.c_str(), tr.last_error().c_str()) == 0);
    EXPECT_THROW(tr.push_batch(e_mlp2, span<const float>(pts, 3), 2), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_THROW(tr.set_learning_rate(NAN), TEBM_STATUS_BAD_CONFIG);
    EXPECT_THROW(tr.init(e_cb, tc), TEBM_STATUS_BAD_CONFIG);
    EXPECT_THROW(tr.update(e_mlp2), TEBM_STATUS_BAD_DIMENSION);
    CHECK(same_state(*tr.raw(), *tr_before.raw()));
    CHECK(same_bytes(*e_mlp2.raw(), *e_before.raw()));
    EXPECT_THROW(static tinyebm::Trainer t_bad(e_cb, tc), TEBM_STATUS_BAD_CONFIG);
#endif
}

static void test_tempering() {
    tinyebm::TemperingConfig xc;
    xc.n_walkers = 4;
    xc.replicas = 3;
    xc.beta_min = 0.25f;
    xc.kernel = tinyebm::kernel::barker(0.5f);
    EXPECT_ST(rx.try_init(e_dw, xc), TEBM_STATUS_OK);
    size_t done = 0;
    EXPECT_ST(rx.try_run(e_dw, 50, &done), TEBM_STATUS_OK);
    CHECK(done == 50);
    tinyebm::Result<tinyebm::TemperingShape> sh = rx.try_shape();
    CHECK(sh.ok() && sh->replicas == 3 && sh->n_walkers == 4 && sh->dim == 1);
    tinyebm::Result<tinyebm::Ladder> l = rx.try_ladder();
    CHECK(l.ok() && l->replicas == 3 && l->betas[0] == 1.0f && approx(l->betas[1], 0.5f) &&
          approx(l->betas[2], 0.25f) && l->sweeps == 50);
    CHECK(l->swaps[0].attempted + l->swaps[1].attempted > 0 &&
          l->swaps[0].accepted <= l->swaps[0].attempted);
    float betas[3];
    tinyebm::SwapStats swaps[2];
    uint64_t sweeps = 0;
    EXPECT_ST(rx.try_ladder(betas, swaps, &sweeps), TEBM_STATUS_OK);
    CHECK(sweeps == 50 && betas[2] == l->betas[2] && swaps[1].attempted == l->swaps[1].attempted);
    EXPECT_ST(rx.try_ladder(betas), TEBM_STATUS_OK);
    float pos[4], en[4];
    EXPECT_ST(rx.try_positions(pos), TEBM_STATUS_OK);
    EXPECT_ST(rx.try_energies(en), TEBM_STATUS_OK);
    CHECK(rx.try_positions<4>().ok() && std::memcmp(rx.try_positions<4>()->data(), pos, sizeof pos) == 0);
    CHECK(rx.try_energies<4>().ok() && approx(e_dw.try_eval({pos[0]}).value_or(-1), en[0], 1e-4f));
    EXPECT_ST(rx.try_invalidate(), TEBM_STATUS_OK);

    // Deliberate failures.
    rx_before = rx;
    EXPECT_ST(rx.try_run(e2, 1), TEBM_STATUS_BAD_DIMENSION);
    CHECK(!rx.last_error().empty());
    tinyebm::TemperingConfig bad = xc;
    bad.beta_min = 2.0f;
    EXPECT_ST(rx.try_init(e_dw, bad), TEBM_STATUS_BAD_CONFIG);
    bad = xc;
    bad.replicas = TEBM_MAX_REPLICAS + 1;
    EXPECT_ST(rx.try_init(e_dw, bad), TEBM_STATUS_CAPACITY_EXCEEDED);
    CHECK(same_state(*rx.raw(), *rx_before.raw()));
    rx_before = rx;
    EXPECT_ST(rx.try_ladder(span<float>(betas, 2)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(rx.try_ladder(betas, span<tinyebm::SwapStats>(swaps, 1)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(rx.try_positions<3>().status(), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(rx.try_energies(span<float>(en, 3)), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(same_state(*rx.raw(), *rx_before.raw()));
    static tinyebm::Tempering rx_empty;
    EXPECT_ST(rx_empty.try_shape().status(), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_ST(rx_empty.try_ladder().status(), TEBM_STATUS_NOT_INITIALISED);

#if TINYEBM_EXCEPTIONS
    rx.init(e_dw, xc);
    rx.run(e_dw, 10);
    CHECK(rx.ladder().sweeps == 10 && rx.shape().replicas == 3 && rx.positions<4>().size() == 4);
    rx.ladder(betas, swaps, &sweeps);
    rx.positions(pos);
    rx.energies(en);
    CHECK(rx.energies<4>()[0] == en[0]);
    rx.invalidate();
    rx_before = rx;
    EXPECT_THROW(rx.run(e2, 1), TEBM_STATUS_BAD_DIMENSION);
    CHECK(!thrown_detail.empty() && std::strcmp(thrown_detail.c_str(), rx.last_error().c_str()) == 0);
    EXPECT_THROW(rx.init(e_dw, bad), TEBM_STATUS_CAPACITY_EXCEEDED);
    CHECK(same_state(*rx.raw(), *rx_before.raw()));
    EXPECT_THROW(rx.ladder(span<float>(betas, 2)), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_THROW(rx_empty.shape(), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_THROW(static tinyebm::Tempering rx_bad(e_dw, bad), TEBM_STATUS_CAPACITY_EXCEEDED);
#endif
}

// The try_ forms of every class, successes and failures, lambdas through the
// trampoline: no operator new (in both builds).
static void test_no_heap() {
    const unsigned long before = allocations;
    float k = 1.0f;
    auto quad = [&k](span<const float> x, span<float> g) {
        float v = 0.0f;
        for (size_t i = 0; i < x.size(); i++) {
            v += 0.5f * k * x[i] * x[i];
            if (!g.empty()) g[i] = k * x[i];
        }
        return v;
    };
    static tinyebm::Energy el;
    (void)el.try_init_callback(2, quad);
    (void)el.try_eval(ones2);
    (void)el.try_init_double_well(-1.0f);
    (void)el.try_save(file);
    tinyebm::SamplerConfig cfg;
    cfg.n_walkers = 4;
    cfg.kernel = tinyebm::kernel::barker(0.5f);
    (void)s.try_init(el, cfg);
    (void)s.try_run(el, 20);
    (void)s.try_run(e3, 1);
    (void)s.try_set_step_size(-1.0f);
    (void)s.last_error();
    (void)s.try_positions<8>();
    (void)s.try_stats();
    (void)tinyebm::weights_check(span<const uint8_t>(file, nfile));
    (void)e_mlp.try_load(span<const uint8_t>(file, nfile));
    tinyebm::TrainerConfig tc;
    tc.n_walkers = 4;
    tc.batch_size = 2;
    (void)tr.try_init(e_mlp, tc);
    (void)tr.try_push_batch(e_mlp, {1.0f, 0.0f, 0.0f, 1.0f}, 2);
    (void)tr.try_push(e_mlp, {NAN, 0.0f});
    (void)tr.try_metrics();
    tinyebm::TemperingConfig xc;
    xc.n_walkers = 2;
    xc.replicas = 2;
    (void)rx.try_init(el, xc);
    (void)rx.try_run(el, 5);
    (void)rx.try_ladder();
    (void)rx.try_run(e3, 1);
    CHECK(allocations == before);
}

int main() {
    const float m3[3] = {0, 0, 0}, p3[3] = {1, 1, 1};
    if (!e3.try_init_gaussian_diag(m3, p3).ok()) return 1;
    test_basics();
    test_energies();
    test_weights();
    test_sampler();
    test_trainer();
    test_tempering();
    test_no_heap();
    const unsigned long heap = allocations;
#if !TINYEBM_EXCEPTIONS
    CHECK(heap == 0);  // nothing in this build allocates
#endif
    // With exceptions, only the thrown Errors allocated (their messages).
    std::printf("operator new calls: %lu\n", heap);
    std::printf("cpp_wrapper_test (%s): %d checks, %d failures\n",
                TINYEBM_EXCEPTIONS ? "exceptions" : "-fno-exceptions -fno-rtti", checks, failures);
    return failures == 0 ? 0 : 1;
}
