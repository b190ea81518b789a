"""PyTorch peer benchmark for tinyebm (one CPU thread, float32).

Written the way PyTorch EBM code usually is: an nn.Module energy, eager
Python loops, torch.autograd.grad for the input gradient, torch.optim.Adam.
Checks go to stderr, the JSON result is the last line of stdout.
"""
import json
import math
import sys

import torch
from torch import nn

import common as C

H = C.STEP
SQRT_2H = math.sqrt(2 * H)
WARMUP_SECONDS = 0.3


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Energy(nn.Module):
    def __init__(self, params):
        super().__init__()
        layers = []
        for w, b in params:
            lin = nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T))  # torch stores (out, in)
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, nn.Tanh()]
        self.net = nn.Sequential(*layers[:-1])  # linear output

    def forward(self, x):
        return self.net(x).squeeze(-1) + 0.5 * C.ALPHA * (x * x).sum(-1)


def energy_and_grad(model, x):
    x = x.detach().requires_grad_(True)
    u = model(x)
    (g,) = torch.autograd.grad(u.sum(), x)
    return u.detach(), g


def mala_step(model, x, u, g):
    """One MALA step for a batch of independent walkers; (u, g) cached at x."""
    y = x - H * g + SQRT_2H * torch.randn_like(x)
    u_y, g_y = energy_and_grad(model, y)
    log_q_xy = -((x - y + H * g_y) ** 2).sum(-1) / (4 * H)  # log q(x|y)
    log_q_yx = -((y - x + H * g) ** 2).sum(-1) / (4 * H)  # log q(y|x)
    log_ratio = -(u_y - u) + log_q_xy - log_q_yx
    accept = torch.log(torch.rand_like(u)) < log_ratio
    a = accept.unsqueeze(-1)
    return torch.where(a, y, x), torch.where(accept, u_y, u), torch.where(a, g_y, g), accept


def ula_step(model, x):
    _, g = energy_and_grad(model, x)
    return x - H * g + SQRT_2H * torch.randn_like(x)


def bench(step, chunk):
    """Warm up for WARMUP_SECONDS, then time chunks of `chunk` steps."""
    C.timed(lambda: [step() for _ in range(chunk)], chunk, WARMUP_SECONDS, windows=1)
    return C.timed(lambda: [step() for _ in range(chunk)], chunk)


def mala(model, n_walkers, chunk):
    x = torch.from_numpy(C.init_walkers(n_walkers))
    s = dict(zip("xug", (x, *energy_and_grad(model, x))), acc=0.0, n=0)

    def step():
        s["x"], s["u"], s["g"], accept = mala_step(model, s["x"], s["u"], s["g"])
        s["acc"] += accept.float().mean().item()
        s["n"] += 1

    rate = bench(step, chunk)
    log(f"mala n={n_walkers}: acceptance {s['acc'] / s['n']:.3f}, "
        f"mean |x|^2 {(s['x'] ** 2).sum(-1).mean().item():.3f}")
    return rate


def ula(model, chunk):
    s = {"x": torch.from_numpy(C.init_walkers(C.WALKERS))}

    def step():
        s["x"] = ula_step(model, s["x"])

    rate = bench(step, chunk)
    log(f"ula n={C.WALKERS}: mean |x|^2 {(s['x'] ** 2).sum(-1).mean().item():.3f}")
    return rate


def pcd(model, chunk):
    data = torch.from_numpy(C.ring_data())
    opt = torch.optim.Adam(model.parameters(), lr=C.LR)
    s = {"walkers": torch.from_numpy(C.init_walkers(C.WALKERS)), "losses": []}

    def update():
        x = s["walkers"]
        for _ in range(C.PCD_K):
            x = ula_step(model, x)
        s["walkers"] = x.detach()
        x_data = data[torch.randint(0, data.shape[0], (C.PCD_BATCH,))]
        loss = model(x_data).mean() - model(s["walkers"]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        s["losses"].append(loss.item())

    rate = bench(update, chunk)
    losses = s["losses"]
    log(f"pcd: {len(losses)} updates, loss first {losses[0]:.4f} last {losses[-1]:.4f}, "
        f"all finite {all(math.isfinite(v) for v in losses)}")
    return rate


def main():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model = Energy(C.init_params())
    with torch.no_grad():
        log(f"threads {torch.get_num_threads()}; U(probe) = "
            f"{model(torch.from_numpy(C.PROBE)).item():.6f}")
    # Each workload starts from the same initial weights.
    fresh = lambda: Energy(C.init_params())  # noqa: E731
    result = {
        "framework": "pytorch",
        "version": torch.__version__,
        "mala_1chain_steps_per_s": mala(model, 1, 500),
        "mala_64_chain_steps_per_s": C.WALKERS * mala(model, C.WALKERS, 500),
        "ula_64_chain_steps_per_s": C.WALKERS * ula(model, 500),
        "pcd_updates_per_s": pcd(fresh(), 50),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
