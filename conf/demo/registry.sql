-- TenantRegistry: which database serves each company code (see the architecture document).
-- Runs unchanged on SQL Server; tdsd loads it through its T-SQL rewriter.
-- CredentialRef names where the password lives ("env:NAME" or "file:/path"), never the
-- password itself; NULL DatabaseUser/CredentialRef/Port mean the gateway's registry defaults.
-- The host names are the production ones; scripts/demo points them at local tdsd ports
-- with UPDATE statements.
CREATE TABLE Tenants (
    TenantId INT IDENTITY(1,1) PRIMARY KEY,
    CompanyCode NVARCHAR(64) NOT NULL UNIQUE,
    CompanyName NVARCHAR(200) NOT NULL,
    DatabaseServer NVARCHAR(255) NOT NULL,
    DatabaseName NVARCHAR(128) NOT NULL,
    IsActive BIT NOT NULL DEFAULT 1,
    Port INT NULL,
    DatabaseUser NVARCHAR(128) NULL,
    CredentialRef NVARCHAR(255) NULL,
    Encrypt BIT NULL,
    TrustServerCertificate BIT NULL,
    HostNameInCertificate NVARCHAR(255) NULL,
    MaxConnections INT NULL,
    UpdatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
GO

-- Our own servers (we host and pay): DCPSP production and the sales demo.
INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, IsActive, Port, DatabaseUser, CredentialRef, Encrypt, MaxConnections)
VALUES
    (N'DCPSP', N'DCPSP Production', N'customer-portal-sql-server.database.windows.net', N'FieldServiceDB', 1, 1433, NULL, NULL, 1, 20),
    (N'DEMO', N'Demo Company', N'customer-portal-sql-server.database.windows.net', N'FieldServiceDB_Demo', 1, 1433, NULL, NULL, 1, 5);
GO

-- Customer-hosted databases (they host and pay): Azure SQL, on-premises over VPN, AWS RDS.
INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, IsActive, Port, DatabaseUser, CredentialRef, Encrypt, MaxConnections)
VALUES
    (N'ACME', N'ACME Corporation', N'acme-sql.database.windows.net', N'FieldServiceDB_ACME', 1, 1433, N'fieldservice_api', N'env:TENANT_DB_PASSWORD', 1, 10),
    (N'TECHSTART', N'TechStart Inc', N'sql.techstart.com', N'FieldServiceDB', 1, 1433, N'fieldservice_api', N'env:TENANT_DB_PASSWORD', 0, 4),
    (N'GLOBALSEC', N'GlobalSec LLC', N'globalsec-db.aws.rds.amazonaws.com', N'FieldServiceDB', 1, 1433, N'fieldservice_api', N'env:TENANT_DB_PASSWORD', 1, 10);
GO
