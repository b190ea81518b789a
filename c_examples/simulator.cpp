// A C++17 "simulator" using tinyebm through RAII wrappers over caller-owned
// storage (no heap): particles in a harmonic optical trap whose centre moves
// on a circle and whose stiffness is modulated, U(x, t) = k(t)/2 |x - c(t)|^2.
// Each time step updates the trap, tells the sampler the energy changed, and
// runs a few MALA steps; the ensemble must track the moving equilibrium
// N(c(t), I/(beta k(t))). Exit status 0 when every check passes.
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "tinyebm.h"

namespace tebm {

// Throws on any status but OK, with the status message and (if given) the
// sampler's last error.
inline void check(TebmStatus s, const char *what, const TebmSampler *sampler = nullptr) {
    if (s == TEBM_STATUS_OK) return;
    std::array<char, 96> msg{};
    tebm_status_message(s, msg.data(), msg.size());
    std::string text = std::string(what) + ": " + msg.data();
    if (sampler) {
        std::array<char, TEBM_ERROR_MESSAGE_CAPACITY> detail{};
        if (tebm_sampler_last_error(sampler, detail.data(), detail.size()) == TEBM_STATUS_OK && detail[0])
            text += std::string(" (") + detail.data() + ")";
    }
    throw std::runtime_error(text);
}

// An energy in its own storage. Not copyable: a sampler remembers which
// energy object its cached values came from, and callbacks point into the
// owner.
class Energy {
  public:
    Energy(const Energy &) = delete;
    Energy &operator=(const Energy &) = delete;

    // A callback energy calling obj->energy(x, grad) on an object of type T.
    template <class T> static void callback(Energy &e, std::size_t dim, T *obj) {
        check(tebm_energy_init_callback(&e.storage_, sizeof e.storage_, dim, &trampoline<T>, obj),
              "tebm_energy_init_callback");
    }
    static void gaussian_diag(Energy &e, std::size_t dim, const float *mean, const float *precision) {
        check(tebm_energy_init_gaussian_diag(&e.storage_, sizeof e.storage_, dim, mean, precision),
              "tebm_energy_init_gaussian_diag");
    }
    Energy() = default;
    const TebmEnergy *get() const { return &storage_; }

  private:
    template <class T>
    static int trampoline(void *user, const float *x, std::size_t dim, float *u, float *grad) noexcept {
        // Nothing may unwind into tinyebm: exceptions become an error code.
        try {
            *u = static_cast<T *>(user)->energy(x, dim, grad);
            return 0;
        } catch (...) {
            return -1;
        }
    }
    TebmEnergy storage_{};  // 16-byte aligned by its type
};

class Sampler {
  public:
    Sampler() = default;
    Sampler(const Sampler &) = delete;
    Sampler &operator=(const Sampler &) = delete;

    void init(const Energy &e, const TebmSamplerConfig &cfg) {
        check(tebm_sampler_init(&storage_, sizeof storage_, e.get(), &cfg), "tebm_sampler_init");
    }
    void run(const Energy &e, std::size_t steps) {
        check(tebm_sampler_run(&storage_, e.get(), steps, nullptr), "tebm_sampler_run", &storage_);
    }
    void energy_changed() { check(tebm_sampler_invalidate(&storage_), "tebm_sampler_invalidate"); }
    void freeze() { check(tebm_sampler_freeze_step_size(&storage_), "freeze", &storage_); }
    void reset_diagnostics() { check(tebm_sampler_reset_diagnostics(&storage_), "reset"); }
    template <std::size_t N> void positions(std::array<float, N> &out) const {
        check(tebm_sampler_positions(&storage_, out.data(), out.size()), "tebm_sampler_positions");
    }
    TebmSamplerStats stats() const {
        TebmSamplerStats s{};
        check(tebm_sampler_stats(&storage_, &s), "tebm_sampler_stats");
        return s;
    }

  private:
    TebmSampler storage_{};
};

}  // namespace tebm

class TrapSimulator {
  public:
    static constexpr std::size_t kWalkers = 64;
    static constexpr std::size_t kDim = 2;

    TrapSimulator() {
        tebm::Energy::callback(trap_, kDim, this);
        TebmSamplerConfig cfg;
        tebm::check(tebm_sampler_config_default(&cfg), "config");
        cfg.kernel.kind = TEBM_KERNEL_MALA;
        cfg.n_walkers = kWalkers;
        cfg.seed = 314;
        cfg.kernel.step_size = 0.1f;
        cfg.adapt = 1;
        const float centre[2] = {cx_, cy_};
        cfg.init_center = centre;
        sampler_.init(trap_, cfg);
    }

    // U = k/2 |x - c|^2 (called by tinyebm through the trampoline).
    float energy(const float *x, std::size_t dim, float *grad) const {
        if (dim != kDim) throw std::logic_error("dimension");
        float dx = x[0] - cx_, dy = x[1] - cy_;
        if (grad) {
            grad[0] = k_ * dx;
            grad[1] = k_ * dy;
        }
        return 0.5f * k_ * (dx * dx + dy * dy);
    }

    void equilibrate(std::size_t steps) {
        sampler_.run(trap_, steps);
        sampler_.freeze();
        sampler_.reset_diagnostics();
    }

    // Advances the trap to time t and the particles by `mcmc` steps.
    void step(double t, std::size_t mcmc) {
        cx_ = static_cast<float>(2.0 * std::cos(0.5 * t));
        cy_ = static_cast<float>(2.0 * std::sin(0.5 * t));
        k_ = static_cast<float>(4.0 + 2.0 * std::sin(0.3 * t));
        sampler_.energy_changed();
        sampler_.run(trap_, mcmc);
        sampler_.positions(pos_);
    }

    // Ensemble mean error and variance per coordinate against the exact
    // equilibrium at the current time.
    void measure(double &sq_err, double &var_ratio) const {
        double mx = 0, my = 0;
        for (std::size_t w = 0; w < kWalkers; w++) {
            mx += pos_[2 * w];
            my += pos_[2 * w + 1];
        }
        mx /= kWalkers;
        my /= kWalkers;
        double v = 0;
        for (std::size_t w = 0; w < kWalkers; w++) {
            v += (pos_[2 * w] - mx) * (pos_[2 * w] - mx) + (pos_[2 * w + 1] - my) * (pos_[2 * w + 1] - my);
        }
        v /= 2.0 * (kWalkers - 1);
        sq_err = (mx - cx_) * (mx - cx_) + (my - cy_) * (my - cy_);
        var_ratio = v * k_;  // exact variance is 1/k
    }

    TebmSamplerStats stats() const { return sampler_.stats(); }

  private:
    float cx_ = 2.0f, cy_ = 0.0f, k_ = 4.0f;
    tebm::Energy trap_;
    tebm::Sampler sampler_;
    std::array<float, kWalkers * kDim> pos_{};
};

int main() {
    try {
        static TrapSimulator sim;  // ~75 KB of tinyebm state, no heap
        sim.equilibrate(500);
        const double dt = 0.05;
        const int steps = 2000;
        double sq_err = 0, var_ratio = 0;
        for (int i = 1; i <= steps; i++) {
            sim.step(i * dt, 10);
            double e, v;
            sim.measure(e, v);
            sq_err += e;
            var_ratio += v;
        }
        sq_err /= steps;
        var_ratio /= steps;
        TebmSamplerStats st = sim.stats();
        // For independent equilibrium draws E|mean - c|^2 = 2/(k n) <= 2/(2*64).
        const double expected_sq = 2.0 / (2.0 * TrapSimulator::kWalkers);
        std::printf("trap simulator: %d time steps x 10 MALA steps, %zu walkers\n", steps, st.n_walkers);
        std::printf("step size %.3f, acceptance %.3f\n", static_cast<double>(st.step_size), st.acceptance_rate);
        std::printf("mean squared centre error %.5f (equilibrium bound %.5f), variance / exact %.3f\n", sq_err,
                    expected_sq, var_ratio);
        bool ok = st.acceptance_rate > 0.4 && st.acceptance_rate < 0.8 && sq_err < 3.0 * expected_sq &&
                  std::fabs(var_ratio - 1.0) < 0.1;
        std::puts(ok ? "simulator: OK" : "simulator: FAILED");
        return ok ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "simulator: %s\n", e.what());
        return 1;
    }
}
