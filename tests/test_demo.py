import pandas as pd

from nkfx._demo import main


def test_demo_writes_the_report(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "Report folder:" in out
    assert str((tmp_path / "report").resolve()) in out
    cov = pd.read_csv(tmp_path / "report" / "coverage.csv")
    assert cov["n"].sum() == 255
    hyesan = cov[(cov["city"] == "Hyesan") & (cov["currency"] == "CNY")].iloc[0]
    assert hyesan["n"] == 46
    png = tmp_path / "report" / "rates_by_city.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000
