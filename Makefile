# vnextract — run `make help` for the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd poppler-utils \
	fonts-dejavu-core libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	python3-uno chromium chromium-driver
SHARED ?= ../shared
CATALOGS ?= mapping/catalogs

.PHONY: help setup system-packages venv test lint catalogs model bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: system-packages venv ## install system packages (apt-get, when missing) and the project into .venv

system-packages: ## apt-get install Tesseract (+vie, eng, osd), Poppler, fonts, LibreOffice (+python3-uno), Chromium when missing
	@missing=""; \
	for cmd in tesseract pdftoppm soffice chromium chromedriver; do \
	  command -v $$cmd >/dev/null 2>&1 || missing="yes"; done; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="yes"; \
	/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || missing="yes"; \
	if command -v tesseract >/dev/null 2>&1; then \
	  tesseract --list-langs 2>/dev/null | grep -qx vie || missing="yes"; \
	  tesseract --list-langs 2>/dev/null | grep -qx eng || missing="yes"; \
	  tesseract --list-langs 2>/dev/null | grep -qx osd || missing="yes"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(APT_PACKAGES)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	else echo "system packages present: tesseract (vie, eng, osd), pdftoppm, DejaVu fonts, soffice (+uno), chromium"; fi

venv: $(BIN)/vnextract ## create .venv and install the project with pinned dependencies

$(BIN)/vnextract: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

test: ## run the whole test suite (unit tests and end-to-end runs of the CLI)
	$(BIN)/pytest -q

lint: ## ruff
	$(BIN)/ruff check extract normalize mapping pipelines tests bench scripts

catalogs: ## regenerate mapping/catalogs/*.json: `vnextract catalog build` over the templates in data/samples/
	$(BIN)/vnextract catalog build data/samples/template-thai-nguyen-ke-hoach-73-2025.txt --id tn2025 --catalogs $(CATALOGS)
	$(BIN)/vnextract catalog build data/samples/template-de-cuong-09-phu-luc.txt --id dc --catalogs $(CATALOGS)

model: ## rebuild the language model and syllable inventory from ../shared/corpus (fixed split)
	$(BIN)/python scripts/build_syllables.py --corpus $(SHARED)/corpus --out normalize/data
	$(BIN)/python scripts/build_model.py --corpus $(SHARED)/corpus --out normalize/data

bench: ## measure speed and accuracy; writes docs/BENCHMARKS.md (ONLY=a,b: those, printed; UPDATE=1: and replaced in it)
	$(BIN)/pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench.run $(if $(ONLY),--only $(ONLY)) $(if $(UPDATE),--update)

clean: ## remove build outputs (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache bench/out out
