-- contract: a column the current code still reads. Allowed only once no running or rollback-target release uses
-- it; here it stands for the mistake the expand/contract rule exists to prevent (SchemaCompatibilityIT).
alter table workspaces drop column failure_reason;
