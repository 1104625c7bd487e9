from social_core.backends.line import LineOAuth2


class StockLineOAuth2(LineOAuth2):
    """social-core's LINE backend unchanged, under another name."""

    name = "line_stock"
