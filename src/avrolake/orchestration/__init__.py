"""What the Airflow DAGs run: the schema gate, reconciliation, table maintenance.

Plain functions (no Airflow imports) so they are tested without a scheduler; the DAG files
only wire them to tasks. `operators.py` is the one module that imports Airflow.
"""
