"""``jaxdl predict`` on drawings: the training images are light strokes on dark, so a dark drawing on light
paper is inverted with ``--invert`` and, without it, gets a note instead of a silent misreading."""

import numpy as np
from PIL import Image

from jaxdl import data
from jaxdl.cli import main

NOTE = "is mostly light, but the training images are light strokes on a dark background: add --invert"


def test_a_dark_drawing_on_light_paper_is_noted_and_inverted_with_invert(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "3", "--hidden", "32", "--out", str(out)]) == 0
    digit = np.round(np.asarray(data.load("digits").test[0])[0, :, :, 0] * 255).astype(np.uint8)
    Image.fromarray(digit).save(tmp_path / "light_on_dark.png")
    Image.fromarray(255 - digit).save(tmp_path / "dark_on_light.png")
    capsys.readouterr()

    def predict(name: str, *flags: str) -> tuple[str, str]:
        assert main(["predict", "--run", str(out), str(tmp_path / name), *flags]) == 0
        got = capsys.readouterr()
        return got.out.rsplit(": ", 1)[1].strip(), got.err

    as_trained, quiet = predict("light_on_dark.png")
    assert quiet == ""
    _, noted = predict("dark_on_light.png")
    assert noted.count("\n") == 1 and f"{tmp_path / 'dark_on_light.png'} {NOTE}" in noted
    assert predict("dark_on_light.png", "--invert") == (as_trained, "")
