"""The simulator hooks' public names, and the old private spellings kept working."""

import warnings

import numpy as np
import pytest

from sgnn_sklearn.estimators._fresh_noise import noise_can_be_redrawn
from sgnn_sklearn.simulators import SIR, LatentSimulator, LinearGaussian, Simulator


def _coin(hook_names):
    """A coin simulator whose hooks are spelt as ``hook_names`` says."""
    prior_attr, simulate_attr = hook_names

    def generate(self, params, rng):
        p = params[:, 0]
        X = (rng.random((len(p), self.n_flips)) < p[:, None]).astype(float)
        return X, p

    def __init__(self, n_flips=6, p=(0.0, 1.0)):
        self.n_flips = n_flips
        self.p = p

    body = {
        prior_attr: ("p",),
        simulate_attr: generate,
        "__init__": __init__,
        "feature_names": property(lambda self: tuple(map(str, range(self.n_flips)))),
        "target_names": property(lambda self: ("p",)),
    }
    return type("Coin", (Simulator,), body)


def _decay(hook_names):
    """A LatentSimulator whose hooks are spelt as ``hook_names`` says."""
    prior_attr, latent_attr, observe_attr = hook_names

    def latent(self, params, rng):
        return np.exp(-params[:, :1] * np.arange(5)), params[:, 0]

    def observe(self, trajectory, params, rng):
        return trajectory + 0.1 * rng.standard_normal(trajectory.shape)

    def __init__(self, rate=(0.1, 1.0)):
        self.rate = rate

    body = {
        prior_attr: ("rate",),
        latent_attr: latent,
        observe_attr: observe,
        "__init__": __init__,
        "feature_names": property(lambda self: tuple(map(str, range(5)))),
        "target_names": property(lambda self: ("rate",)),
    }
    return type("Decay", (LatentSimulator,), body)


def test_public_hooks_define_a_simulator_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Coin = _coin(("prior_params", "generate"))
        Decay = _decay(("prior_params", "generate_latent", "generate_observation"))
        sims = Coin().simulate(20, random_state=0), Decay().simulate(20, random_state=0)
    assert [s.X.shape for s in sims] == [(20, 6), (20, 5)]


@pytest.mark.parametrize(
    "names, old_name",
    [
        (("_prior_params", "generate"), "_prior_params"),
        (("prior_params", "_simulate"), "_simulate"),
    ],
)
def test_old_simulator_hook_names_warn_and_give_the_same_simulations(names, old_name):
    with pytest.warns(
        FutureWarning, match=f"defines {old_name}, a simulator hook now called"
    ):
        Old = _coin(names)
    New = _coin(("prior_params", "generate"))
    a, b = Old().simulate(50, random_state=3), New().simulate(50, random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.params, b.params)
    assert a.param_names == b.param_names == ("p",)


def test_old_latent_hook_names_keep_simulate_observe_and_fresh_noise():
    with pytest.warns(FutureWarning) as record:
        Old = _decay(("_prior_params", "_latent", "_observe"))
    assert sorted(str(w.message).split()[2] for w in record) == sorted(
        ["_prior_params,", "_latent,", "_observe,"]
    )
    New = _decay(("prior_params", "generate_latent", "generate_observation"))
    old, new = Old(), New()
    np.testing.assert_array_equal(
        old.simulate(30, random_state=1).X, new.simulate(30, random_state=1).X
    )
    rng_old, rng_new = np.random.default_rng(2), np.random.default_rng(2)
    np.testing.assert_array_equal(
        old.observe(old.simulate_latent(30, rng_old), rng_old).X,
        new.observe(new.simulate_latent(30, rng_new), rng_new).X,
    )
    # Written either way, the simulate is latent + observe: noise can be redrawn.
    assert noise_can_be_redrawn(old) and noise_can_be_redrawn(new)


def test_old_style_subclass_of_a_builtin_reaches_the_parents_model():
    with pytest.warns(FutureWarning, match="defines _simulate"):

        class OldClipped(LinearGaussian):
            def _simulate(self, params, rng):
                X, y = super()._simulate(params, rng)
                return np.clip(X, -0.5, 0.5), y

    class NewClipped(LinearGaussian):
        def generate(self, params, rng):
            X, y = super().generate(params, rng)
            return np.clip(X, -0.5, 0.5), y

    a = OldClipped().simulate(40, random_state=0)
    b = NewClipped().simulate(40, random_state=0)
    np.testing.assert_array_equal(a.X, b.X)
    assert np.abs(a.X).max() <= 0.5
    # Post-processing in the model is bypassed by latent + observe: no fresh noise.
    assert not noise_can_be_redrawn(OldClipped())
    assert not noise_can_be_redrawn(NewClipped())


def test_builtins_answer_to_the_old_names_too():
    sim = SIR(n_days=8)
    params = sim.sample_params(3, random_state=0)
    X_new, _ = sim.generate(params, np.random.default_rng(0))
    X_old, _ = sim._simulate(params, np.random.default_rng(0))
    np.testing.assert_array_equal(X_new, X_old)
    assert SIR._prior_params == SIR.prior_params


def test_overriding_simulate_from_params_stops_fresh_noise():
    class Shifted(LinearGaussian):
        def simulate_from_params(self, params, random_state=None):
            return super().simulate_from_params(params + 1.0, random_state)

    assert noise_can_be_redrawn(LinearGaussian())
    assert not noise_can_be_redrawn(Shifted())


def test_a_simulator_without_a_model_says_which_hook_is_missing():
    class Empty(Simulator):
        prior_params = ("a",)

        def __init__(self, a=(0.0, 1.0)):
            self.a = a

        feature_names = ("x",)
        target_names = ("a",)

    with pytest.raises(
        NotImplementedError, match=r"must implement generate\(params, rng\)"
    ):
        Empty().simulate(3, random_state=0)
