// A C++17 "simulator" using tinyebm through its C++ wrapper (tinyebm.hpp:
// objects held by value in caller-owned storage, no heap): particles in a
// harmonic optical trap whose centre moves on a circle and whose stiffness is
// modulated, U(x, t) = k(t)/2 |x - c(t)|^2. Each time step updates the trap,
// tells the sampler the energy changed, and runs a few MALA steps; the
// ensemble must track the moving equilibrium N(c(t), I/(beta k(t))). Exit
// status 0 when every check passes.
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tinyebm.hpp"

// The trap: a callable energy. tinyebm keeps a pointer to it, so it must
// outlive the energy (both are members of the simulator, trap_ first).
struct Trap {
    static constexpr std::size_t kDim = 2;
    float cx = 2.0f, cy = 0.0f, k = 4.0f;

    // U = k/2 |x - c|^2 and, when grad is not empty, its gradient. An
    // exception here is caught by the wrapper and declines the point.
    float operator()(tinyebm::span<const float> x, tinyebm::span<float> grad) const {
        if (x.size() != kDim) throw std::logic_error("dimension");
        float dx = x[0] - cx, dy = x[1] - cy;
        if (!grad.empty()) {
            grad[0] = k * dx;
            grad[1] = k * dy;
        }
        return 0.5f * k * (dx * dx + dy * dy);
    }
};

class TrapSimulator {
  public:
    static constexpr std::size_t kWalkers = 64;
    static constexpr std::size_t kDim = Trap::kDim;

    // Throws tinyebm::Error when tinyebm refuses the energy or the config.
    TrapSimulator() : energy_(tinyebm::Energy::callback(kDim, trap_)) {
        const float centre[2] = {trap_.cx, trap_.cy};
        tinyebm::SamplerConfig cfg;  // the C defaults
        cfg.kernel = tinyebm::kernel::mala(0.1f);
        cfg.n_walkers = kWalkers;
        cfg.seed = 314;
        cfg.adapt = 1;
        cfg.init_center = centre;  // read during init only
        sampler_.init(energy_, cfg);
    }

    void equilibrate(std::size_t steps) {
        sampler_.run(energy_, steps);
        sampler_.freeze_step_size();
        sampler_.reset_diagnostics();
    }

    // Advances the trap to time t and the particles by `mcmc` steps.
    void step(double t, std::size_t mcmc) {
        trap_.cx = static_cast<float>(2.0 * std::cos(0.5 * t));
        trap_.cy = static_cast<float>(2.0 * std::sin(0.5 * t));
        trap_.k = static_cast<float>(4.0 + 2.0 * std::sin(0.3 * t));
        sampler_.invalidate();  // the same energy object now computes something else
        sampler_.run(energy_, mcmc);
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
        sq_err = (mx - trap_.cx) * (mx - trap_.cx) + (my - trap_.cy) * (my - trap_.cy);
        var_ratio = v * trap_.k;  // exact variance is 1/k
    }

    tinyebm::SamplerStats stats() const { return sampler_.stats(); }

  private:
    Trap trap_;
    tinyebm::Energy energy_;
    tinyebm::Sampler sampler_;
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
        tinyebm::SamplerStats st = sim.stats();
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
