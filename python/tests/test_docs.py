"""The docstrings' examples are true."""

import doctest

import paradup


def test_docstring_examples():
    result = doctest.testmod(paradup, extraglobs={"paradup": paradup}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15
    assert result.failed == 0
