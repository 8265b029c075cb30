"""fastbp.onnx imports without onnx and says what to install when used."""
from helpers import run_python


def test_fastbp_onnx_without_onnx_names_the_extra(tmp_path):
    code = ("import sys; sys.modules.update(onnx=None, skl2onnx=None)\n"
            "import fastbp as fb, fastbp.onnx\n"
            "assert fb.onnx is fastbp.onnx\n"
            "try:\n"
            "    fastbp.onnx.to_onnx(fb.MLP([2, 1]))\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    result = run_python(["-c", code], tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("fastbp.onnx.to_onnx needs onnx, which is not installed: pip install onnx  "
            "(fastbp's 'onnx' extra)") in result.stdout
