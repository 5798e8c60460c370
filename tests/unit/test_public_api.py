import servicebot


def test_all_is_sorted_and_unique() -> None:
    assert servicebot.__all__ == sorted(set(servicebot.__all__))


def test_all_imports_are_exported() -> None:
    for name in servicebot.__all__:
        assert getattr(servicebot, name) is not None, name


def test_everything_public_in_the_package_namespace_is_in_all() -> None:
    public = {
        name
        for name, value in vars(servicebot).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("servicebot.")
    }
    assert public <= set(servicebot.__all__)
