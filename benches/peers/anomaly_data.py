"""Small real anomaly-detection tasks and scikit-learn's baselines on them.

    python3 -m venv target/peers-venv
    target/peers-venv/bin/pip install -r benches/peers/anomaly_requirements.txt
    target/peers-venv/bin/python benches/peers/anomaly_data.py [OUT]   # OUT = target/anomaly-data

The data sets ship inside scikit-learn's wheel (no download): iris (4-D),
wine (13-D), breast cancer (30-D), and digits (the digit 8 as normal) reduced to 16-D by PCA fitted
on the training normals. In each task one class is "normal" and every other
class is an anomaly. The normal class is split (fixed seed) into train /
validation / test (60 / 20 / 20 %); the test set is the test normals plus
every anomaly. Everything is standardised with the training normals' mean
and standard deviation.

Writes OUT/<task>/{train,val,test}.csv (test: a last column 1 = anomaly) and
OUT/baselines.csv (task, method, setting, seed, auroc): a Gaussian KDE with
its bandwidth chosen by validation log-likelihood, a Gaussian mixture
(components and covariance type chosen by validation log-likelihood),
IsolationForest and OneClassSVM (defaults; nothing to tune them on without
labelled anomalies), all scored by AUROC on the test set; the randomised
ones over 5 seeds. Nothing is tuned on test data.
"""

import csv
import os
import sys

import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.svm import OneClassSVM

SEEDS = 5


def tasks():
    iris = datasets.load_iris()
    wine = datasets.load_wine()
    bc = datasets.load_breast_cancer()
    digits = datasets.load_digits()
    # name, X, y, normal class, PCA dimension (None: keep all)
    yield "iris-versicolor", iris.data, iris.target, 1, None
    yield "iris-virginica", iris.data, iris.target, 2, None
    yield "wine-1", wine.data, wine.target, 1, None
    yield "cancer-benign", bc.data, bc.target, 1, None
    yield "digits-8-pca16", digits.data, digits.target, 8, 16


def split(X, y, normal, pca, seed=0):
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(y == normal)
    rng.shuffle(idx)
    n = len(idx)
    n_test = max(10, round(0.2 * n))
    n_val = max(10, round(0.2 * n))
    te, va, tr = idx[:n_test], idx[n_test:n_test + n_val], idx[n_test + n_val:]
    anomalies = np.flatnonzero(y != normal)
    X = X.astype(np.float64)
    if pca is not None:
        p = PCA(pca, random_state=0).fit(X[tr])
        X = p.transform(X)
    mu, sd = X[tr].mean(0), X[tr].std(0)
    sd[sd < 1e-8] = 1.0
    Z = (X - mu) / sd
    test = np.concatenate([Z[te], Z[anomalies]])
    labels = np.concatenate([np.zeros(len(te)), np.ones(len(anomalies))])
    return Z[tr], Z[va], test, labels


def write(path, rows, labels=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        for i, r in enumerate(rows):
            row = [f"{v:.7g}" for v in r]
            if labels is not None:
                row.append(str(int(labels[i])))
            w.writerow(row)


def kde(tr, va, te):
    hs = np.exp(np.linspace(np.log(0.05), np.log(5.0), 40))
    best = max(hs, key=lambda h: KernelDensity(bandwidth=h).fit(tr).score(va))
    k = KernelDensity(bandwidth=best).fit(tr)
    return -k.score_samples(te), f"h={best:.3f}"


def gmm(tr, va, te, seed):
    best, what = None, None
    for cov in ["full", "diag", "spherical"]:
        for k in range(1, 6):
            if cov == "full" and k * tr.shape[1] > len(tr) // 2:
                continue
            try:
                g = GaussianMixture(k, covariance_type=cov, reg_covar=1e-3,
                                    n_init=3, random_state=seed).fit(tr)
            except ValueError:
                continue
            s = g.score(va)
            if best is None or s > best[0]:
                best, what = (s, g), f"K={k} {cov}"
    return -best[1].score_samples(te), what


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "target/anomaly-data"
    os.makedirs(out, exist_ok=True)
    rows = []
    for name, X, y, normal, pca in tasks():
        tr, va, te, lab = split(X, y, normal, pca)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        write(os.path.join(d, "train.csv"), tr)
        write(os.path.join(d, "val.csv"), va)
        write(os.path.join(d, "test.csv"), te, lab)
        s, what = kde(tr, va, te)
        rows.append((name, "KDE", what, 0, roc_auc_score(lab, s)))
        for seed in range(SEEDS):
            s, what = gmm(tr, va, te, seed)
            rows.append((name, "GMM", what, seed, roc_auc_score(lab, s)))
            f = IsolationForest(random_state=seed).fit(tr)
            rows.append((name, "IsolationForest", "default", seed,
                         roc_auc_score(lab, -f.score_samples(te))))
        o = OneClassSVM(gamma="scale", nu=0.1).fit(tr)
        rows.append((name, "OneClassSVM", "nu=0.1", 0, roc_auc_score(lab, -o.score_samples(te))))
        # The norm score |x|² (standardised): what an untrained EBM reduces to.
        rows.append((name, "|x|^2", "-", 0, roc_auc_score(lab, (te ** 2).sum(1))))
        print(f"{name}: d={tr.shape[1]} train {len(tr)} val {len(va)} "
              f"test normal {int((lab == 0).sum())} anomalies {int(lab.sum())}", file=sys.stderr)
    with open(os.path.join(out, "baselines.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "method", "setting", "seed", "auroc"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], r[3], f"{r[4]:.4f}"])
    import sklearn
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
