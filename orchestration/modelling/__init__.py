"""The dbt project (dbt_project/): where it is, how to run it, and what is generated into it."""
