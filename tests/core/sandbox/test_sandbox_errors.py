"""Error classes are precise, and tracebacks point at the script's own line numbers."""

from __future__ import annotations

from core.sandbox import ErrorClass

NESTED = """\
import matplotlib.pyplot as plt

def compute(values):
    return values[10]

data = [1, 2, 3]
plt.plot(compute(data))
"""


def test_syntax_error_has_line_and_caret(pool):
    result = pool.render("import matplotlib.pyplot as plt\nx = [1, 2\nplt.plot(x)\n")
    assert result.error_class == ErrorClass.syntax_error
    assert result.error_line == 2
    assert "SyntaxError" in result.error
    assert 'File "script.py", line 2' in result.traceback_tail and "^" in result.traceback_tail


def test_null_bytes_are_a_syntax_error(pool):
    result = pool.render("x = 1\x00\n")
    assert result.error_class == ErrorClass.syntax_error


def test_runtime_error_maps_to_script_lines(pool):
    result = pool.render(NESTED)
    assert result.error_class == ErrorClass.runtime_error
    assert result.error_line == 4
    assert result.error.startswith("IndexError")
    tail = result.traceback_tail
    assert 'File "script.py", line 7, in <module>' in tail
    assert 'File "script.py", line 4, in compute' in tail
    assert "return values[10]" in tail
    assert "/job" not in tail and "core/sandbox" not in tail


def test_error_inside_matplotlib_points_at_the_calling_line(pool):
    code = "import numpy as np\nimport matplotlib.pyplot as plt\nx = np.arange(10)\n\nplt.plot(x, x[:-1])\n"
    result = pool.render(code)
    assert result.error_class == ErrorClass.runtime_error
    assert result.error_line == 5
    assert "matplotlib/" in result.traceback_tail and "site-packages" not in result.traceback_tail
    assert result.traceback_tail.strip().splitlines()[-1].startswith("ValueError")


def test_error_while_saving_points_at_savefig(pool):
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title(r'$\\frac{1}$')\nplt.savefig('f.png')\n"
    result = pool.render(code)
    assert result.error_class == ErrorClass.runtime_error
    assert result.error_line == 4


def test_nonzero_sys_exit_is_a_runtime_error(pool):
    result = pool.render("import sys\nsys.exit(3)\n")
    assert result.error_class == ErrorClass.runtime_error
    assert "sys.exit(3)" in result.error


def test_wall_clock_timeout(pool):
    # (the CPU-time limit has its own test with the isolation layers)
    wall = pool.render("import time\ntime.sleep(30)\n", timeout_s=0.6)
    assert wall.error_class == ErrorClass.timeout and "wall-clock" in wall.error


def test_memory_limit(pool):
    result = pool.render("import numpy as np\na = np.ones((40000, 40000))\n", memory_mb=300)
    assert result.error_class == ErrorClass.memory_limit
    assert result.error_line == 2


def test_no_figure_and_blank_figure(pool):
    nothing = pool.render("print('no plotting here')\n")
    assert nothing.error_class == ErrorClass.no_figure and nothing.stdout.strip() == "no plotting here"
    blank = pool.render("import matplotlib.pyplot as plt\nplt.figure()\nplt.savefig('f.png')\n")
    assert blank.error_class == ErrorClass.blank_figure
    assert blank.png is None


def test_forbidden_names_what_was_blocked(pool):
    result = pool.render("open('/etc/passwd').read()\n")
    assert result.error_class == ErrorClass.forbidden
    assert "/etc/passwd" in result.error and result.error_line == 1


def test_output_too_large_for_pixels_files_and_png_bytes(pool):
    canvas = pool.render("import matplotlib.pyplot as plt\nplt.figure(figsize=(300, 300), dpi=100)\n"
                         "plt.plot([1])\nplt.savefig('f.png')\n")
    assert canvas.error_class == ErrorClass.output_too_large and "pixels" in canvas.error
    assert canvas.error_line == 4
    big_file = pool.render("open('big.bin', 'wb').write(b'0' * (3 * 1024 * 1024))\n", output_mb=2)
    assert big_file.error_class == ErrorClass.output_too_large
    noisy_png = pool.render(
        "import numpy as np\nimport matplotlib.pyplot as plt\nfig = plt.figure(figsize=(8, 8), dpi=100)\n"
        "plt.imshow(np.random.default_rng(0).random((800, 800, 3)))\n", output_mb=1,
    )
    assert noisy_png.error_class == ErrorClass.output_too_large and "MB" in noisy_png.error


def test_results_are_one_line_for_the_cli(pool):
    result = pool.render(NESTED)
    line = result.one_line()
    assert "\n" not in line and line.startswith("runtime_error: IndexError") and "(line 4)" in line
