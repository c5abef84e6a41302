"""piwarden: every promise of a privacy policy enforced by code, evidenced and provable."""

from piwarden import compiled

compiled.install()
