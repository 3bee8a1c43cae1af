# 课后服务管理系统
#   make demo   建好环境和演示学校，打印演示账号，在 http://127.0.0.1:8000/ 启动
#   make test   代码检查、迁移检查和全部测试
# Needs only Python 3.11: the virtualenv (.venv) and its packages are made on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
INSTALLED := $(VENV)/.installed-requirements
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Two pytest-xdist workers: the machines have 2 cores; each worker gets its own test database.
TEST_WORKERS ?= 2

.PHONY: help install demo test lint migrations-check migrate seed runserver worker beat bench \
        clean distclean

help: ## 列出可用命令
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(PY):
	@test -n "$(PYTHON)" || { echo "找不到 python3.11 或 python3，请先安装 Python 3.11。"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever a requirements file changes; pip skips what is already there.
$(INSTALLED): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(INSTALLED) ## 创建 .venv 并安装依赖（requirements-dev.txt）

demo: install ## 迁移数据库、建立演示学校、打印演示账号并启动开发服务器
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo ""
	@echo "请用手机或浏览器打开 http://$(HOST):$(PORT)/ ，用上面的演示账号登录。按 Ctrl+C 停止。"
	$(MANAGE) runserver $(HOST):$(PORT)

test: install lint migrations-check ## 代码检查 + 迁移检查 + 全部测试（pytest tests/）
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install ## ruff 代码检查
	$(PY) -m ruff check .

migrations-check: install ## 模型改动都已生成迁移
	$(MANAGE) makemigrations --check --dry-run

migrate: install ## 只迁移数据库
	$(MANAGE) migrate --noinput

seed: install migrate ## 只建立（或补全）演示数据
	$(MANAGE) seed_demo

runserver: install ## 只启动开发服务器
	$(MANAGE) runserver $(HOST):$(PORT)

# Without REDIS_URL the tasks run inline in the web process and no worker is needed.
worker: install ## 启动 Celery worker（需要 REDIS_URL）
	@$(MANAGE) shell -v 0 -c "from django.conf import settings; raise SystemExit(not settings.REDIS_URL)" \
		|| { echo "未设置 REDIS_URL：任务在网页请求中直接执行，不需要 worker。"; \
		     echo "如需 worker：export REDIS_URL=redis://127.0.0.1:6379/0 （或写入 .env）"; exit 1; }
	$(VENV)/bin/celery -A afterschool worker --loglevel INFO

beat: install ## 启动 Celery beat 定时任务（需要 REDIS_URL）
	@$(MANAGE) shell -v 0 -c "from django.conf import settings; raise SystemExit(not settings.REDIS_URL)" \
		|| { echo "未设置 REDIS_URL：请先 export REDIS_URL=redis://127.0.0.1:6379/0 （或写入 .env）"; exit 1; }
	$(VENV)/bin/celery -A afterschool beat --loglevel INFO --schedule $(VENV)/celerybeat-schedule

bench: install ## 运行基准测试 bench/run.py（README 的基准表来自这里）
	@if [ -f bench/run.py ]; then PYTHONPATH=. $(PY) bench/run.py; \
	 else echo "bench/run.py 还不存在。"; fi

clean: ## 删除缓存、测试截图和 collectstatic 输出
	rm -rf staticfiles test-artifacts .pytest_cache .ruff_cache .hypothesis celerybeat-schedule*
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## 另外删除 .venv 和本地 SQLite 数据库（演示数据会丢失）
	rm -rf $(VENV) db.sqlite3 db.sqlite3-journal
