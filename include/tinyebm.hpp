// tinyebm.hpp: a header-only C++17 wrapper over the C API of tinyebm
// (include/tinyebm.h; link libtinyebm.a as for C). docs/cpp.md has an example.
//
// Objects. tinyebm::Energy, Sampler, Trainer and Tempering each hold their C
// object (TebmEnergy, ...) by value and nothing else: no heap, no pointers
// into themselves, trivially copyable (a copy is a memcpy of the C object, as
// the C API allows). A default-constructed object is empty (zero bytes): every
// call on it but an init fails with TEBM_STATUS_NOT_INITIALISED. The objects
// are large (a Sampler is about 62 KB, a Trainer 82 KB): make them static or
// members of a static object rather than locals on a small stack.
//
// Errors. Every fallible operation has a try_ form, noexcept, returning a
// tinyebm::Status (actions) or a tinyebm::Result<T> (values: a status and a T).
// When exceptions are enabled (__cpp_exceptions; define TINYEBM_EXCEPTIONS to 0
// to leave them out anyway) each also has a form without the prefix that
// returns the value and throws tinyebm::Error (a std::runtime_error holding the
// status and, for samplers, trainers and tempering objects, the last-error
// text the failing call recorded; for weight files the reason). A failing
// call leaves the objects as the C API does (see include/tinyebm.h: unchanged,
// the last-error record aside). The wrapper passes every span's length to C
// and checks the lengths the C API cannot see (BAD_DIMENSION before any C
// call), so nothing is read or written outside a span.
//
// Allocation. The try_ forms, the objects and the callback trampolines never
// allocate. Only a thrown Error does (std::runtime_error's message and the
// exception object, as every C++ exception).
//
// Callbacks. Energy::callback(dim, f) and try_init_callback(dim, f) keep a
// pointer to the user's callable f (a lambda, a functor): f must outlive the
// energy and every copy of it (a copy copies the pointer, so all copies call
// the same f). f is called as f(span<const float> x, span<float> grad) and
// returns U as a float, or a std::optional<float> where std::nullopt declines
// the point; grad is empty when only U is needed (MH), else it holds dim
// floats to fill. An exception thrown by f is caught in the trampoline and
// declines the point (the C side sees a non-zero return): see trampoline below.
#ifndef TINYEBM_HPP
#define TINYEBM_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "tinyebm.h"

#ifndef TINYEBM_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define TINYEBM_EXCEPTIONS 1
#else
#define TINYEBM_EXCEPTIONS 0
#endif
#endif

#if TINYEBM_EXCEPTIONS
#include <stdexcept>
#endif

#define TINYEBM_HPP_STR2(x) #x
#define TINYEBM_HPP_STR(x) TINYEBM_HPP_STR2(x)

namespace tinyebm {

// ---------------------------------------------------------------- basics ----

using std::size_t;

// A view of n contiguous T (C++17 has no std::span). Built from a pointer and
// a length, a C array, a std::array, any container with data() and size(), or
// (for const T) a braced list of values, which lives until the end of the
// full expression: pass it as an argument, do not keep it.
template <class T> class span {
    template <class C>
    using data_t = std::remove_pointer_t<decltype(std::data(std::declval<C &>()))>;
    template <class U> static constexpr bool compatible = std::is_convertible_v<U (*)[], T (*)[]>;

  public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using size_type = size_t;
    using iterator = T *;

    constexpr span() noexcept = default;
    constexpr span(T *data, size_t size) noexcept : data_(data), size_(size) {}
    template <size_t N> constexpr span(T (&a)[N]) noexcept : data_(a), size_(N) {}
    template <class C,
              std::enable_if_t<!std::is_same_v<std::remove_cv_t<std::remove_reference_t<C>>, span> &&
                                   !std::is_array_v<std::remove_reference_t<C>> && compatible<data_t<C>>,
                               int> = 0>
    constexpr span(C &&c) noexcept(noexcept(std::data(c)) && noexcept(std::size(c)))
        : data_(std::data(c)), size_(std::size(c)) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"  // the intended use: a view for one call
#endif
    template <class U = T, std::enable_if_t<std::is_const_v<U>, int> = 0>
    constexpr span(std::initializer_list<value_type> il) noexcept : data_(il.begin()), size_(il.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    template <class U, std::enable_if_t<!std::is_same_v<U, T> && compatible<U>, int> = 0>
    constexpr span(const span<U> &s) noexcept : data_(s.data()), size_(s.size()) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](size_t i) const noexcept { return data_[i]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }
    // The first n elements (n ≤ size()).
    constexpr span first(size_t n) const noexcept { return span(data_, n); }
    // n elements from offset (offset + n ≤ size()).
    constexpr span subspan(size_t offset, size_t n) const noexcept { return span(data_ + offset, n); }

  private:
    T *data_ = nullptr;
    size_t size_ = 0;
};

// A NUL-terminated text of at most N - 1 characters, by value.
template <size_t N> struct Text {
    char data[N] = {};
    const char *c_str() const noexcept { return data; }
    bool empty() const noexcept { return data[0] == '\0'; }
};
// An object's last-error text or a weight file's refusal reason.
using Message = Text<TEBM_ERROR_MESSAGE_CAPACITY>;

// What a call did: a TebmStatus. Converts from TebmStatus, compares with it.
class [[nodiscard]] Status {
  public:
    constexpr Status() noexcept = default;
    constexpr Status(TebmStatus code) noexcept : code_(code) {}
    constexpr TebmStatus code() const noexcept { return code_; }
    constexpr bool ok() const noexcept { return code_ == TEBM_STATUS_OK; }
    // The status's fixed text (tebm_status_message).
    Text<128> message() const noexcept {
        Text<128> t;
        (void)tebm_status_message(static_cast<int32_t>(code_), t.data, sizeof t.data);
        return t;
    }
    friend constexpr bool operator==(Status a, Status b) noexcept { return a.code_ == b.code_; }
    friend constexpr bool operator!=(Status a, Status b) noexcept { return a.code_ != b.code_; }

  private:
    TebmStatus code_ = TEBM_STATUS_OK;
};

#if TINYEBM_EXCEPTIONS
// A failed call: its status, what was called, and the last-error text the call
// recorded in its object ("" when it recorded none, for read-only calls,
// energies and free functions; for weight files the refusal reason).
// what() is "WHERE: STATUS MESSAGE (DETAIL)".
class Error : public std::runtime_error {
  public:
    Error(Status status, const char *where, const char *detail)
        : std::runtime_error(compose(status, where, detail).c_str()), status_(status), detail_() {
        std::snprintf(detail_.data, sizeof detail_.data, "%s", detail ? detail : "");
    }
    Status status() const noexcept { return status_; }
    const char *detail() const noexcept { return detail_.c_str(); }

  private:
    static Text<384> compose(Status status, const char *where, const char *detail) noexcept {
        Text<384> t;
        if (detail && detail[0])
            std::snprintf(t.data, sizeof t.data, "%s: %s (%s)", where, status.message().c_str(), detail);
        else
            std::snprintf(t.data, sizeof t.data, "%s: %s", where, status.message().c_str());
        return t;
    }
    Status status_;
    Message detail_;
};
#endif

namespace detail {
// Fails an unchecked Result::value(): throws, or aborts without exceptions.
[[noreturn]] inline void fail(Status s, const char *where) {
#if TINYEBM_EXCEPTIONS
    throw Error(s, where, "");
#else
    (void)s;
    (void)where;
    std::abort();
#endif
}
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

// A status and, when it is OK, a value (an expected-style result; T is a
// small default-constructible type). value() on a failed result throws Error
// (without exceptions: std::abort()); check ok() first, or use value_or.
template <class T> class [[nodiscard]] Result {
  public:
    constexpr Result(Status status, T value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : value_(std::move(value)), status_(status) {}
    constexpr bool ok() const noexcept { return status_.ok(); }
    constexpr bool has_value() const noexcept { return ok(); }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr Status status() const noexcept { return status_; }
    T &value() & {
        if (!ok()) detail::fail(status_, "tinyebm::Result::value");
        return value_;
    }
    const T &value() const & {
        if (!ok()) detail::fail(status_, "tinyebm::Result::value");
        return value_;
    }
    T value_or(T fallback) const { return ok() ? value_ : fallback; }
    // Unchecked access, as for std::optional.
    T &operator*() noexcept { return value_; }
    const T &operator*() const noexcept { return value_; }
    T *operator->() noexcept { return &value_; }
    const T *operator->() const noexcept { return &value_; }

  private:
    T value_;
    Status status_;
};

// The library's version, "MAJOR.MINOR.PATCH" (tebm_version()).
inline const char *version() noexcept { return tebm_version(); }
// The version of the header this program was compiled with.
constexpr const char *header_version() noexcept {
    return TINYEBM_HPP_STR(TEBM_VERSION_MAJOR) "." TINYEBM_HPP_STR(TEBM_VERSION_MINOR) "." TINYEBM_HPP_STR(
        TEBM_VERSION_PATCH);
}
// Whether the linked library is the version of the header (check it at start-up).
inline bool version_matches() noexcept {
    const char *v = tebm_version();
    return v != nullptr && std::strcmp(v, header_version()) == 0;
}

inline size_t polynomial_num_coefficients(size_t dim, size_t degree) noexcept {
    return tebm_polynomial_num_coefficients(dim, degree);
}
inline size_t mlp_num_params(size_t dim, size_t hidden) noexcept { return tebm_mlp_num_params(dim, hidden); }

// ---------------------------------------------------------------- configs ---

using KernelConfig = TebmKernelConfig;
using SamplerStats = TebmSamplerStats;
using TrainerMetrics = TebmTrainerMetrics;
using SwapStats = TebmSwapStats;
using WeightsHeader = TebmWeightsHeader;

// Kernel settings for the `kernel` member of every config, e.g.
// cfg.kernel = tinyebm::kernel::hmc(0.1f, 20);
namespace kernel {
constexpr KernelConfig make(TebmKernel kind, float step_size, uint32_t leapfrog_steps = 10,
                            const float *mass = nullptr) noexcept {
    return KernelConfig{static_cast<uint32_t>(kind), step_size, leapfrog_steps, mass, 0, 0.0f};
}
constexpr KernelConfig ula(float h) noexcept { return make(TEBM_KERNEL_ULA, h); }
constexpr KernelConfig mala(float h) noexcept { return make(TEBM_KERNEL_MALA, h); }
constexpr KernelConfig mh(float sd) noexcept { return make(TEBM_KERNEL_MH, sd); }
// mass: NULL (identity) or dim positive floats, alive while the config is used.
constexpr KernelConfig hmc(float h, uint32_t leapfrog_steps, const float *mass = nullptr) noexcept {
    return make(TEBM_KERNEL_HMC, h, leapfrog_steps, mass);
}
constexpr KernelConfig barker(float scale) noexcept { return make(TEBM_KERNEL_BARKER, scale); }
// NUTS: max_tree_depth 0 for the default (10); mass as for hmc.
constexpr KernelConfig nuts(float h, uint32_t max_tree_depth = 0, const float *mass = nullptr) noexcept {
    return KernelConfig{static_cast<uint32_t>(TEBM_KERNEL_NUTS), h, 10, mass, max_tree_depth, 0.0f};
}
// Preconditioned MALA: mass as for hmc (NULL: MALA itself).
constexpr KernelConfig pmala(float h, const float *mass = nullptr) noexcept {
    return make(TEBM_KERNEL_PMALA, h, 10, mass);
}
}  // namespace kernel

// The C configs with their defaults filled in (tebm_*_config_default); the
// fields are the C fields. Pass them where the C struct is expected.
struct SamplerConfig : TebmSamplerConfig {
    SamplerConfig() noexcept : TebmSamplerConfig() { (void)tebm_sampler_config_default(this); }
};
struct TrainerConfig : TebmTrainerConfig {
    TrainerConfig() noexcept : TebmTrainerConfig() { (void)tebm_trainer_config_default(this); }
};
struct TemperingConfig : TebmTemperingConfig {
    TemperingConfig() noexcept : TebmTemperingConfig() { (void)tebm_tempering_config_default(this); }
};

// ---------------------------------------------------------------- energy ----

class Energy {
  public:
    Energy() noexcept = default;

    // ---- in-place initialisation (nothing changes on failure) ----
    // dim = mean.size(); precision holds dim (diag) or dim × dim (full) floats.
    Status try_init_gaussian_diag(span<const float> mean, span<const float> precision) noexcept {
        if (precision.size() != mean.size()) return TEBM_STATUS_BAD_DIMENSION;
        return tebm_energy_init_gaussian_diag(&raw_, sizeof raw_, mean.size(), mean.data(), precision.data());
    }
    Status try_init_gaussian_full(span<const float> mean, span<const float> precision) noexcept {
        if (precision.size() != mean.size() * mean.size()) return TEBM_STATUS_BAD_DIMENSION;
        return tebm_energy_init_gaussian_full(&raw_, sizeof raw_, mean.size(), mean.data(), precision.data());
    }
    // coef: polynomial_num_coefficients(dim, degree) values.
    Status try_init_polynomial(size_t dim, size_t degree, span<const float> coef) noexcept {
        return tebm_energy_init_polynomial(&raw_, sizeof raw_, dim, degree, coef.data(), coef.size());
    }
    Status try_init_double_well(float a) noexcept { return tebm_energy_init_double_well(&raw_, sizeof raw_, a); }
    // k = weights.size() components; means and sds hold k × dim floats each.
    Status try_init_mixture(size_t dim, span<const float> weights, span<const float> means,
                            span<const float> sds) noexcept {
        const size_t k = weights.size();
        if (dim != 0 && (means.size() / dim != k || means.size() % dim != 0 || sds.size() != means.size()))
            return TEBM_STATUS_BAD_DIMENSION;
        return tebm_energy_init_mixture(&raw_, sizeof raw_, k, dim, weights.data(), means.data(), sds.data());
    }
    // params: mlp_num_params(dim, hidden) floats (layout: tebm_energy_init_mlp).
    Status try_init_mlp(size_t dim, size_t hidden, TebmActivation activation, float alpha,
                        span<const float> params) noexcept {
        return tebm_energy_init_mlp(&raw_, sizeof raw_, dim, hidden, static_cast<uint32_t>(activation), alpha,
                                    params.data(), params.size());
    }
    // A weight file (exactly one); weights_check tells why one is refused.
    Status try_init_from_weights(span<const uint8_t> bytes) noexcept {
        return tebm_energy_init_from_weights(&raw_, sizeof raw_, bytes.data(), bytes.size());
    }
    // A C callback (TebmEnergyFn contract); f and user must outlive the energy.
    Status try_init_callback(size_t dim, TebmEnergyFn f, void *user) noexcept {
        return tebm_energy_init_callback(&raw_, sizeof raw_, dim, f, user);
    }
    // A C++ callable (see the top of this file); f must outlive the energy
    // and its copies. Temporaries are refused at compile time.
    template <class F> Status try_init_callback(size_t dim, F &f) noexcept {
        check_callable<F>();
        return tebm_energy_init_callback(&raw_, sizeof raw_, dim, &trampoline<F>,
                                         const_cast<void *>(static_cast<const void *>(&f)));
    }
    template <class F> Status try_init_callback(size_t dim, const F &&f) = delete;

    // ---- queries and evaluation ----
    Result<size_t> try_dim() const noexcept {
        size_t d = 0;
        Status s = tebm_energy_dim(&raw_, &d);
        return {s, d};
    }
    // U(x), dim = x.size(); ∇U into grad when it is not empty (dim floats).
    Result<float> try_eval(span<const float> x, span<float> grad = {}) const noexcept {
        if (!grad.empty() && grad.size() != x.size()) return {TEBM_STATUS_BAD_DIMENSION, 0.0f};
        float u = 0.0f;
        Status s = tebm_energy_eval(&raw_, x.data(), x.size(), &u, grad.empty() ? nullptr : grad.data());
        return {s, u};
    }

    // ---- weights (built-in models; a callback energy is BAD_CONFIG) ----
    Result<size_t> try_weights_size() const noexcept {
        size_t n = 0;
        Status s = tebm_weights_size(&raw_, &n);
        return {s, n};
    }
    // Saves into buf; the value is the number of bytes written.
    Result<size_t> try_save(span<uint8_t> buf) const noexcept {
        size_t n = 0;
        Status s = tebm_weights_save(&raw_, buf.data(), buf.size(), &n);
        return {s, n};
    }
    // Loads into this energy (same kind; all or nothing). Invalidate the
    // samplers and trainers that use it afterwards.
    Status try_load(span<const uint8_t> bytes) noexcept {
        return tebm_weights_load(&raw_, bytes.data(), bytes.size());
    }

#if TINYEBM_EXCEPTIONS
    // ---- throwing forms (Error on failure; in place: nothing changes) ----
    void init_gaussian_diag(span<const float> mean, span<const float> precision) {
        check(try_init_gaussian_diag(mean, precision), "tebm_energy_init_gaussian_diag");
    }
    void init_gaussian_full(span<const float> mean, span<const float> precision) {
        check(try_init_gaussian_full(mean, precision), "tebm_energy_init_gaussian_full");
    }
    void init_polynomial(size_t dim, size_t degree, span<const float> coef) {
        check(try_init_polynomial(dim, degree, coef), "tebm_energy_init_polynomial");
    }
    void init_double_well(float a) { check(try_init_double_well(a), "tebm_energy_init_double_well"); }
    void init_mixture(size_t dim, span<const float> weights, span<const float> means, span<const float> sds) {
        check(try_init_mixture(dim, weights, means, sds), "tebm_energy_init_mixture");
    }
    void init_mlp(size_t dim, size_t hidden, TebmActivation activation, float alpha, span<const float> params) {
        check(try_init_mlp(dim, hidden, activation, alpha, params), "tebm_energy_init_mlp");
    }
    void init_from_weights(span<const uint8_t> bytes) {
        check_weights(try_init_from_weights(bytes), "tebm_energy_init_from_weights", bytes);
    }
    void init_callback(size_t dim, TebmEnergyFn f, void *user) {
        check(try_init_callback(dim, f, user), "tebm_energy_init_callback");
    }
    template <class F> void init_callback(size_t dim, F &f) {
        check(try_init_callback(dim, f), "tebm_energy_init_callback");
    }
    template <class F> void init_callback(size_t dim, const F &&f) = delete;

    // Factories: a new energy, or Error.
    static Energy gaussian_diag(span<const float> mean, span<const float> precision) {
        Energy e;
        e.init_gaussian_diag(mean, precision);
        return e;
    }
    static Energy gaussian_full(span<const float> mean, span<const float> precision) {
        Energy e;
        e.init_gaussian_full(mean, precision);
        return e;
    }
    static Energy polynomial(size_t dim, size_t degree, span<const float> coef) {
        Energy e;
        e.init_polynomial(dim, degree, coef);
        return e;
    }
    static Energy double_well(float a) {
        Energy e;
        e.init_double_well(a);
        return e;
    }
    static Energy mixture(size_t dim, span<const float> weights, span<const float> means, span<const float> sds) {
        Energy e;
        e.init_mixture(dim, weights, means, sds);
        return e;
    }
    static Energy mlp(size_t dim, size_t hidden, TebmActivation activation, float alpha, span<const float> params) {
        Energy e;
        e.init_mlp(dim, hidden, activation, alpha, params);
        return e;
    }
    static Energy from_weights(span<const uint8_t> bytes) {
        Energy e;
        e.init_from_weights(bytes);
        return e;
    }
    static Energy callback(size_t dim, TebmEnergyFn f, void *user) {
        Energy e;
        e.init_callback(dim, f, user);
        return e;
    }
    template <class F> static Energy callback(size_t dim, F &f) {
        Energy e;
        e.init_callback(dim, f);
        return e;
    }
    template <class F> static Energy callback(size_t dim, const F &&f) = delete;

    size_t dim() const { return checked(try_dim(), "tebm_energy_dim"); }
    float eval(span<const float> x, span<float> grad = {}) const {
        return checked(try_eval(x, grad), "tebm_energy_eval");
    }
    size_t weights_size() const { return checked(try_weights_size(), "tebm_weights_size"); }
    size_t save(span<uint8_t> buf) const { return checked(try_save(buf), "tebm_weights_save"); }
    void load(span<const uint8_t> bytes) { check_weights(try_load(bytes), "tebm_weights_load", bytes); }
#endif

    // The C object, for the C API.
    TebmEnergy *raw() noexcept { return &raw_; }
    const TebmEnergy *raw() const noexcept { return &raw_; }

  private:
    template <class F> static constexpr void check_callable() noexcept {
        static_assert(std::is_invocable_v<F &, span<const float>, span<float>>,
                      "an energy callable takes (tinyebm::span<const float> x, tinyebm::span<float> grad)");
        using R = std::decay_t<std::invoke_result_t<F &, span<const float>, span<float>>>;
        static_assert(detail::is_optional<R>::value || std::is_convertible_v<R, float>,
                      "an energy callable returns U as a float or a std::optional<float>");
    }
    // The C callback behind a C++ callable. Nothing may unwind through the
    // Rust frames that call it (undefined behaviour, and the sampler's
    // all-or-nothing steps would be left half done), so every exception is
    // caught here and becomes a non-zero code: the point is declined, which
    // the kernels treat as a rejected proposal (MALA, MH, HMC, Barker) or an
    // error, TEBM_STATUS_CALLBACK_ERROR (ULA, initialisation, eval). The
    // exception itself is lost; record it in the callable if it matters.
    template <class F>
    static int trampoline(void *user, const float *x, size_t dim, float *u, float *grad) noexcept {
#if TINYEBM_EXCEPTIONS
        try {
#endif
            F &f = *static_cast<F *>(user);
            auto r = f(span<const float>(x, dim), span<float>(grad, grad ? dim : 0));
            if constexpr (detail::is_optional<std::decay_t<decltype(r)>>::value) {
                if (!r.has_value()) return 1;
                *u = static_cast<float>(*r);
            } else {
                *u = static_cast<float>(r);
            }
            return 0;
#if TINYEBM_EXCEPTIONS
        } catch (...) {
            return 1;
        }
#endif
    }
#if TINYEBM_EXCEPTIONS
    static void check(Status s, const char *where) {
        if (!s.ok()) throw Error(s, where, "");
    }
    template <class T> static T checked(const Result<T> &r, const char *where) {
        check(r.status(), where);
        return *r;
    }
    static void check_weights(Status s, const char *where, span<const uint8_t> bytes) {
        if (s.ok()) return;
        Message m;
        (void)tebm_weights_check(bytes.data(), bytes.size(), m.data, sizeof m.data);
        throw Error(s, where, m.c_str());
    }
#endif
    TebmEnergy raw_{};
};

// ---- weight files ----
// The kind, sizes and length from a file's first bytes.
inline Result<WeightsHeader> try_weights_peek(span<const uint8_t> bytes) noexcept {
    WeightsHeader h{};
    Status s = tebm_weights_peek(bytes.data(), bytes.size(), &h);
    return {s, h};
}
// Validates a whole file; the reason of a refusal into *reason when given.
inline Status weights_check(span<const uint8_t> bytes, Message *reason = nullptr) noexcept {
    return tebm_weights_check(bytes.data(), bytes.size(), reason ? reason->data : nullptr,
                              reason ? sizeof reason->data : 0);
}
#if TINYEBM_EXCEPTIONS
inline WeightsHeader weights_peek(span<const uint8_t> bytes) {
    Result<WeightsHeader> r = try_weights_peek(bytes);
    if (!r.ok()) throw Error(r.status(), "tebm_weights_peek", "");
    return *r;
}
#endif

// ------------------------------------------------------ stateful objects ---

namespace detail {
// The C functions a stateful object shares, and their names (Error's where).
#define TINYEBM_HPP_API(obj, Obj)                                                                          \
    using Raw = Tebm##Obj;                                                                                 \
    using Config = Tebm##Obj##Config;                                                                      \
    static constexpr auto init = tebm_##obj##_init;                                                        \
    static constexpr auto invalidate = tebm_##obj##_invalidate;                                            \
    static constexpr auto positions = tebm_##obj##_positions;                                              \
    static constexpr auto energies = tebm_##obj##_energies;                                                \
    static constexpr auto last_error = tebm_##obj##_last_error;                                            \
    static constexpr const char *init_name = "tebm_" #obj "_init";                                         \
    static constexpr const char *invalidate_name = "tebm_" #obj "_invalidate";                             \
    static constexpr const char *positions_name = "tebm_" #obj "_positions";                               \
    static constexpr const char *energies_name = "tebm_" #obj "_energies";
// ... and for the objects that run steps.
#define TINYEBM_HPP_RUN_API(obj)                                                                           \
    static constexpr auto run = tebm_##obj##_run;                                                          \
    static constexpr const char *run_name = "tebm_" #obj "_run";
struct SamplerApi {
    TINYEBM_HPP_API(sampler, Sampler)
    TINYEBM_HPP_RUN_API(sampler)
};
struct TrainerApi {
    TINYEBM_HPP_API(trainer, Trainer)
};
struct TemperingApi {
    TINYEBM_HPP_API(tempering, Tempering)
    TINYEBM_HPP_RUN_API(tempering)
};
#undef TINYEBM_HPP_API
#undef TINYEBM_HPP_RUN_API

// What Sampler, Trainer and Tempering share: the C object itself, init,
// invalidate, the walkers' positions and energies, the last error, and the
// throwing forms' checks.
template <class Api> class Stateful {
  public:
    using Raw = typename Api::Raw;
    using Config = typename Api::Config;
    Stateful() noexcept = default;
    // In place: a failing init leaves the object's state as it was.
    Status try_init(const Energy &energy, const Config &cfg) noexcept {
        return Api::init(&raw_, sizeof raw_, energy.raw(), &cfg);
    }
    // After changing what the energy computes (a callback's parameters).
    Status try_invalidate() noexcept { return Api::invalidate(&raw_); }
    // n_walkers × dim floats, walker-major (out.size() ≥ that).
    Status try_positions(span<float> out) const noexcept { return Api::positions(&raw_, out.data(), out.size()); }
    // N ≥ n_walkers × dim; the entries after them are 0.
    template <size_t N> Result<std::array<float, N>> try_positions() const noexcept {
        std::array<float, N> a{};
        Status s = try_positions(span<float>(a));
        return {s, a};
    }
    Status try_energies(span<float> out) const noexcept { return Api::energies(&raw_, out.data(), out.size()); }
    template <size_t N> Result<std::array<float, N>> try_energies() const noexcept {
        std::array<float, N> a{};
        Status s = try_energies(span<float>(a));
        return {s, a};
    }
    // The text of the last error ("" if none).
    Message last_error() const noexcept {
        Message m;
        (void)Api::last_error(&raw_, m.data, sizeof m.data);
        return m;
    }

#if TINYEBM_EXCEPTIONS
    Stateful(const Energy &energy, const Config &cfg) { init(energy, cfg); }
    void init(const Energy &energy, const Config &cfg) {
        recorded(Api::init_name, [&] { return try_init(energy, cfg); });
    }
    void invalidate() { recorded(Api::invalidate_name, [&] { return try_invalidate(); }); }
    void positions(span<float> out) const { check(try_positions(out), Api::positions_name); }
    template <size_t N> std::array<float, N> positions() const {
        return checked(try_positions<N>(), Api::positions_name);
    }
    void energies(span<float> out) const { check(try_energies(out), Api::energies_name); }
    template <size_t N> std::array<float, N> energies() const {
        return checked(try_energies<N>(), Api::energies_name);
    }
#endif

    Raw *raw() noexcept { return &raw_; }
    const Raw *raw() const noexcept { return &raw_; }

  protected:
#if TINYEBM_EXCEPTIONS
    // Throwing forms. A call that can record an error: Error's detail is the
    // last-error text when this call changed it (a failure before the object
    // is reached, e.g. an uninitialised energy, records nothing, and the
    // record may hold an older error). Read-only calls record nothing: no
    // detail.
    template <class Call> void recorded(const char *where, Call &&call) {
        const Message before = last_error();
        const Status s = call();
        if (s.ok()) return;
        const Message after = last_error();
        throw Error(s, where, std::strcmp(before.data, after.data) != 0 ? after.c_str() : "");
    }
    void check(Status s, const char *where) const {
        if (!s.ok()) throw Error(s, where, "");
    }
    template <class T> T checked(const Result<T> &r, const char *where) const {
        check(r.status(), where);
        return *r;
    }
#endif

  private:
    Raw raw_{};
};

// ... and those that run steps on an energy.
template <class Api> class Running : public Stateful<Api> {
  public:
    using Stateful<Api>::Stateful;
    // `steps` steps on `energy` (all-or-nothing each); *steps_done when given.
    Status try_run(const Energy &energy, size_t steps, size_t *steps_done = nullptr) noexcept {
        return Api::run(this->raw(), energy.raw(), steps, steps_done);
    }
#if TINYEBM_EXCEPTIONS
    void run(const Energy &energy, size_t steps) {
        this->recorded(Api::run_name, [&] { return try_run(energy, steps); });
    }
#endif
};
}  // namespace detail

// ---------------------------------------------------------------- sampler ---

class Sampler : public detail::Running<detail::SamplerApi> {
  public:
    using Running::Running;
    // Per walker: proposal taken (1) or not (0), and its acceptance
    // probability when accept_prob is not empty.
    Status try_last_accepted(span<uint8_t> accepted, span<float> accept_prob = {}) const noexcept {
        size_t len = accepted.size();
        if (!accept_prob.empty() && accept_prob.size() < len) len = accept_prob.size();
        return tebm_sampler_last_accepted(raw(), accepted.data(), accept_prob.empty() ? nullptr : accept_prob.data(),
                                          len);
    }
    Result<SamplerStats> try_stats() const noexcept {
        SamplerStats st{};
        Status s = tebm_sampler_stats(raw(), &st);
        return {s, st};
    }
    // One diagnostic for each coordinate (out.size() ≥ dim).
    Status try_diagnostic(TebmDiagnostic which, span<double> out) const noexcept {
        return tebm_sampler_diagnostic(raw(), static_cast<uint32_t>(which), out.data(), out.size());
    }
    template <size_t N> Result<std::array<double, N>> try_diagnostic(TebmDiagnostic which) const noexcept {
        std::array<double, N> a{};
        Status s = try_diagnostic(which, span<double>(a));
        return {s, a};
    }
    Status try_set_step_size(float h) noexcept { return tebm_sampler_set_step_size(raw(), h); }
    Status try_set_beta(float beta) noexcept { return tebm_sampler_set_beta(raw(), beta); }
    Status try_start_adaptation(float target = 0.0f) noexcept { return tebm_sampler_start_adaptation(raw(), target); }
    Status try_freeze_step_size() noexcept { return tebm_sampler_freeze_step_size(raw()); }
    Status try_reset_diagnostics() noexcept { return tebm_sampler_reset_diagnostics(raw()); }

#if TINYEBM_EXCEPTIONS
    void last_accepted(span<uint8_t> accepted, span<float> accept_prob = {}) const {
        check(try_last_accepted(accepted, accept_prob), "tebm_sampler_last_accepted");
    }
    SamplerStats stats() const { return checked(try_stats(), "tebm_sampler_stats"); }
    void diagnostic(TebmDiagnostic which, span<double> out) const {
        check(try_diagnostic(which, out), "tebm_sampler_diagnostic");
    }
    template <size_t N> std::array<double, N> diagnostic(TebmDiagnostic which) const {
        return checked(try_diagnostic<N>(which), "tebm_sampler_diagnostic");
    }
    void set_step_size(float h) { recorded("tebm_sampler_set_step_size", [&] { return try_set_step_size(h); }); }
    void set_beta(float beta) { recorded("tebm_sampler_set_beta", [&] { return try_set_beta(beta); }); }
    void start_adaptation(float target = 0.0f) {
        recorded("tebm_sampler_start_adaptation", [&] { return try_start_adaptation(target); });
    }
    void freeze_step_size() { recorded("tebm_sampler_freeze_step_size", [&] { return try_freeze_step_size(); }); }
    void reset_diagnostics() { recorded("tebm_sampler_reset_diagnostics", [&] { return try_reset_diagnostics(); }); }
#endif
};

// ---------------------------------------------------------------- trainer ---

// Trains a built-in energy (passed to every call; it holds θ) by contrastive
// divergence.
class Trainer : public detail::Stateful<detail::TrainerApi> {
  public:
    using Stateful::Stateful;
    // One data point (x.size() = dim); *updated = whether an update ran.
    Status try_push(Energy &energy, span<const float> x, bool *updated = nullptr) noexcept {
        int u = 0;
        Status s = tebm_trainer_push(raw(), energy.raw(), x.data(), x.size(), &u);
        if (updated) *updated = s.ok() && u != 0;
        return s;
    }
    // points.size() / dim points, point-major (a multiple of dim, else
    // BAD_DIMENSION); *updates = the number of updates that ran.
    Status try_push_batch(Energy &energy, span<const float> points, size_t dim, size_t *updates = nullptr) noexcept {
        if (updates) *updates = 0;
        if (dim == 0 || points.size() % dim != 0) return TEBM_STATUS_BAD_DIMENSION;
        int u = 0;
        Status s = tebm_trainer_push_batch(raw(), energy.raw(), points.data(), points.size() / dim, dim, &u);
        if (updates) *updates = static_cast<size_t>(u < 0 ? 0 : u);
        return s;
    }
    Status try_update(Energy &energy) noexcept { return tebm_trainer_update(raw(), energy.raw()); }
    Status try_set_learning_rate(float lr) noexcept { return tebm_trainer_set_learning_rate(raw(), lr); }
    Result<TrainerMetrics> try_metrics() const noexcept {
        TrainerMetrics m{};
        Status s = tebm_trainer_metrics(raw(), &m);
        return {s, m};
    }

#if TINYEBM_EXCEPTIONS
    // Whether an update ran.
    bool push(Energy &energy, span<const float> x) {
        bool updated = false;
        recorded("tebm_trainer_push", [&] { return try_push(energy, x, &updated); });
        return updated;
    }
    // The number of updates that ran.
    size_t push_batch(Energy &energy, span<const float> points, size_t dim) {
        if (dim == 0 || points.size() % dim != 0)
            throw Error(TEBM_STATUS_BAD_DIMENSION, "tebm_trainer_push_batch", "points.size() is not a multiple of dim");
        size_t updates = 0;
        recorded("tebm_trainer_push_batch", [&] { return try_push_batch(energy, points, dim, &updates); });
        return updates;
    }
    void update(Energy &energy) { recorded("tebm_trainer_update", [&] { return try_update(energy); }); }
    void set_learning_rate(float lr) {
        recorded("tebm_trainer_set_learning_rate", [&] { return try_set_learning_rate(lr); });
    }
    TrainerMetrics metrics() const { return checked(try_metrics(), "tebm_trainer_metrics"); }
#endif
};

// -------------------------------------------------------------- tempering ---

// Sizes of a replica-exchange object.
struct TemperingShape {
    size_t replicas;
    size_t n_walkers;  // per replica
    size_t dim;
};
// The ladder β₀ = 1 > β₁ > … and the swap statistics of neighbouring pairs.
struct Ladder {
    size_t replicas;                                // R
    std::array<float, TEBM_MAX_REPLICAS> betas;     // the first R
    std::array<SwapStats, TEBM_MAX_REPLICAS> swaps; // the first R − 1
    uint64_t sweeps;                                // steps taken
};

// Positions and energies are those of the β = 1 replica (n_walkers × dim
// floats, n_walkers floats).
class Tempering : public detail::Running<detail::TemperingApi> {
  public:
    using Running::Running;
    // betas: ≥ R floats; swaps: empty or ≥ R − 1 entries; *sweeps when given.
    Status try_ladder(span<float> betas, span<SwapStats> swaps = {}, uint64_t *sweeps = nullptr) const noexcept {
        size_t len = betas.size();
        if (!swaps.empty() && swaps.size() + 1 < len) len = swaps.size() + 1;
        return tebm_tempering_ladder(raw(), betas.data(), swaps.empty() ? nullptr : swaps.data(), len, sweeps);
    }
    Result<Ladder> try_ladder() const noexcept {
        Ladder l{};
        Result<TemperingShape> shape = try_shape();
        if (!shape.ok()) return {shape.status(), l};
        l.replicas = shape->replicas;
        Status s = tebm_tempering_ladder(raw(), l.betas.data(), l.swaps.data(), l.betas.size(), &l.sweeps);
        return {s, l};
    }
    // Replicas, walkers and dimension: read back through the C readers,
    // which refuse outputs shorter than the object's sizes (read-only calls).
    Result<TemperingShape> try_shape() const noexcept {
        TemperingShape sh{0, 0, 0};
        std::array<float, TEBM_MAX_TEMPERING_WALKERS * TEBM_MAX_DIM> buf{};
        Status s = TEBM_STATUS_BUFFER_TOO_SMALL;
        for (size_t r = 1; r <= TEBM_MAX_REPLICAS && s == TEBM_STATUS_BUFFER_TOO_SMALL; r++) {
            s = tebm_tempering_ladder(raw(), buf.data(), nullptr, r, nullptr);
            sh.replicas = r;
        }
        s = s.ok() ? Status(TEBM_STATUS_BUFFER_TOO_SMALL) : s;
        for (size_t n = 1; n <= TEBM_MAX_TEMPERING_WALKERS && s == TEBM_STATUS_BUFFER_TOO_SMALL; n++) {
            s = tebm_tempering_energies(raw(), buf.data(), n);
            sh.n_walkers = n;
        }
        s = s.ok() ? Status(TEBM_STATUS_BUFFER_TOO_SMALL) : s;
        for (size_t d = 1; d <= TEBM_MAX_DIM && s == TEBM_STATUS_BUFFER_TOO_SMALL; d++) {
            s = tebm_tempering_positions(raw(), buf.data(), sh.n_walkers * d);
            sh.dim = d;
        }
        return {s, s.ok() ? sh : TemperingShape{0, 0, 0}};
    }

#if TINYEBM_EXCEPTIONS
    void ladder(span<float> betas, span<SwapStats> swaps = {}, uint64_t *sweeps = nullptr) const {
        check(try_ladder(betas, swaps, sweeps), "tebm_tempering_ladder");
    }
    Ladder ladder() const { return checked(try_ladder(), "tebm_tempering_ladder"); }
    TemperingShape shape() const { return checked(try_shape(), "tebm_tempering_ladder"); }
#endif
};

// The wrappers are their C objects: copied with memcpy, no destructor.
static_assert(std::is_trivially_copyable_v<Energy> && sizeof(Energy) == sizeof(TebmEnergy), "Energy layout");
static_assert(std::is_trivially_copyable_v<Sampler> && sizeof(Sampler) == sizeof(TebmSampler), "Sampler layout");
static_assert(std::is_trivially_copyable_v<Trainer> && sizeof(Trainer) == sizeof(TebmTrainer), "Trainer layout");
static_assert(std::is_trivially_copyable_v<Tempering> && sizeof(Tempering) == sizeof(TebmTempering),
              "Tempering layout");
static_assert(sizeof(SamplerConfig) == sizeof(TebmSamplerConfig) &&
                  sizeof(TrainerConfig) == sizeof(TebmTrainerConfig) &&
                  sizeof(TemperingConfig) == sizeof(TebmTemperingConfig),
              "configs are the C structs");

}  // namespace tinyebm

#endif  // TINYEBM_HPP
