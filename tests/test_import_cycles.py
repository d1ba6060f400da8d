"""No module of the product imports itself back, directly or through others, counting the imports
held inside functions too (import-linter's contracts in CI check the direction between layers and
areas; this checks that nothing leans on import order to work)."""

from __future__ import annotations

import grimp


def _cycles(*packages: str) -> list[tuple[str, str]]:
    graph = grimp.build_graph(*packages, include_external_packages=False)
    return sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.find_shortest_chain(importer=imported, imported=module)
        }
    )


def test_no_module_is_part_of_an_import_cycle() -> None:
    assert _cycles("chainmap", "projects") == []


def test_a_cycle_held_together_by_an_import_inside_a_function_is_seen(tmp_path, monkeypatch) -> None:
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("def run():\n    from cyclic_pkg import loading\n    return loading\n")
    (package / "loading.py").write_text("from cyclic_pkg import engine\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles("cyclic_pkg") == [("cyclic_pkg.engine", "cyclic_pkg.loading")]
